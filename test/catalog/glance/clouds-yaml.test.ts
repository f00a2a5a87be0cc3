import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import {
  connectionFromCloud,
  readCloudEntry,
  v3Url,
  type CloudsEnv,
} from '../../../catalog/glance/clouds-yaml.ts';
import type { GlanceConnection } from '../../../catalog/glance/glance-connection.ts';
import { VmicError } from '../../../errors/index.ts';

/*
 * clouds.yaml → GlanceConnection. Every test works in a directory of its own under a temp
 * root and passes an explicit CloudsEnv, with the clouds.yaml in `cwd` or named by
 * OS_CLIENT_CONFIG_FILE, so the lookup stops before ~/.config/openstack and /etc/openstack
 * and the machine's own files are never read.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-clouds-yaml-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

let n = 0;
/** A fresh directory holding the given files; the env has it as cwd and home. */
function place(files: Record<string, string | Buffer>, env: NodeJS.ProcessEnv = {}): CloudsEnv {
  const dir = path.join(root, `case-${++n}`);
  fs.mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  // Without a secure.yaml here, an empty one named by OS_CLIENT_SECURE_FILE keeps the
  // lookup from going on to /etc/openstack/secure.yaml.
  if (!('secure.yaml' in files) && !env.OS_CLIENT_SECURE_FILE) {
    fs.writeFileSync(path.join(dir, 'empty-secure.yaml'), '');
    env = { ...env, OS_CLIENT_SECURE_FILE: path.join(dir, 'empty-secure.yaml') };
  }
  return { env, cwd: dir, home: path.join(dir, 'home') };
}

const cloudsYaml = (clouds: Record<string, unknown>): string => JSON.stringify({ clouds });
const one = (entry: Record<string, unknown>): CloudsEnv =>
  place({ 'clouds.yaml': cloudsYaml({ prod: entry }) });
const connect = (entry: Record<string, unknown>): GlanceConnection =>
  connectionFromCloud('prod', one(entry));

function keystone(c: GlanceConnection) {
  assert.notEqual(c.auth, 'none');
  if (c.auth === 'none') throw new Error('unreachable');
  return c;
}

const AUTH_URL = 'https://keystone.example:5000/';

test('password cloud with names, domains, region and interface', () => {
  const e = place({
    'clouds.yaml': [
      'clouds:',
      '  prod:',
      '    auth:',
      `      auth_url: ${AUTH_URL}`,
      '      username: alice',
      '      password: s3cret',
      '      project_name: images',
      '      user_domain_name: Users',
      '      project_domain_name: Projects',
      '    region_name: RegionTwo',
      '    interface: internal',
      '',
    ].join('\n'),
  });
  const c = connectionFromCloud('prod', e);
  const file = path.join(e.cwd, 'clouds.yaml');
  assert.deepEqual(c, {
    source: `clouds.yaml cloud "prod" (${file})`,
    ca: undefined,
    auth: 'password',
    authUrl: 'https://keystone.example:5000/v3',
    regionName: 'RegionTwo',
    interface: 'internal',
    imageEndpointOverride: undefined,
    identity: {
      kind: 'password',
      user: { id: undefined, name: 'alice', domain: { id: undefined, name: 'Users' } },
      password: 's3cret',
    },
    project: { id: undefined, name: 'images', domain: { id: undefined, name: 'Projects' } },
  });
});

test('password cloud without domains: both default to the domain id "default"', () => {
  const c = keystone(
    connect({ auth: { auth_url: AUTH_URL, username: 'alice', password: 'pw', project_name: 'p' } }),
  );
  assert.deepEqual(c.identity, {
    kind: 'password',
    user: { id: undefined, name: 'alice', domain: { id: 'default', name: undefined } },
    password: 'pw',
  });
  assert.deepEqual(c.project, {
    id: undefined,
    name: 'p',
    domain: { id: 'default', name: undefined },
  });
  assert.equal(c.interface, 'public');
  assert.equal(c.regionName, undefined);
  // default_domain_id names the domain instead; an explicit domain id wins over it.
  const d = keystone(
    connect({
      auth: {
        auth_url: AUTH_URL,
        username: 'alice',
        password: 'pw',
        project_name: 'p',
        default_domain_id: 'dom-1',
        project_domain_id: 'dom-2',
      },
    }),
  );
  assert.ok(d.identity.kind === 'password');
  assert.deepEqual(d.identity.user.domain, { id: 'dom-1', name: undefined });
  assert.deepEqual(d.project?.domain, { id: 'dom-2', name: undefined });
});

test('password cloud by user_id and project_id: the ids are kept', () => {
  const c = keystone(
    connect({
      auth: { auth_url: AUTH_URL, user_id: 'u-123', password: 'pw', project_id: 'p-456' },
    }),
  );
  assert.ok(c.identity.kind === 'password');
  assert.equal(c.identity.user.id, 'u-123');
  assert.equal(c.identity.user.name, undefined);
  assert.equal(c.project?.id, 'p-456');
  assert.equal(c.project?.name, undefined);
  // The old tenant_* spellings too.
  const t = keystone(
    connect({
      auth: { auth_url: AUTH_URL, username: 'a', password: 'pw', tenant_id: 't-1' },
    }),
  );
  assert.equal(t.project?.id, 't-1');
  // Without any project: an unscoped password token.
  const u = keystone(connect({ auth: { auth_url: AUTH_URL, username: 'a', password: 'pw' } }));
  assert.equal(u.project, undefined);
});

test('password cloud without password or user: CONFIG', () => {
  assert.throws(() => connect({ auth: { auth_url: AUTH_URL, username: 'a' } }), {
    code: 'CONFIG',
    message: /password auth needs auth\.username \(or user_id\) and auth\.password/,
  });
  assert.throws(() => connect({ auth: { auth_url: AUTH_URL, password: 'pw' } }), {
    code: 'CONFIG',
  });
  assert.throws(() => connect({ auth: { username: 'a', password: 'pw' } }), {
    code: 'CONFIG',
    message: /auth\.auth_url is missing/,
  });
});

test('v3applicationcredential by id: no user needed', () => {
  const c = keystone(
    connect({
      auth_type: 'v3applicationcredential',
      auth: {
        auth_url: 'https://k.example/v3',
        application_credential_id: 'ac-1',
        application_credential_secret: 'sec',
        username: 'ignored',
      },
    }),
  );
  assert.equal(c.auth, 'application-credential');
  assert.equal(c.authUrl, 'https://k.example/v3');
  assert.deepEqual(c.identity, {
    kind: 'application-credential',
    id: 'ac-1',
    name: undefined,
    user: undefined,
    secret: 'sec',
  });
});

test('v3applicationcredential by name: the user is kept; without a user: CONFIG', () => {
  const c = keystone(
    connect({
      auth_type: 'v3applicationcredential',
      auth: {
        auth_url: AUTH_URL,
        application_credential_name: 'sync',
        application_credential_secret: 'sec',
        username: 'alice',
        user_domain_name: 'Users',
      },
    }),
  );
  assert.deepEqual(c.identity, {
    kind: 'application-credential',
    id: undefined,
    name: 'sync',
    user: { id: undefined, name: 'alice', domain: { id: undefined, name: 'Users' } },
    secret: 'sec',
  });
  assert.throws(
    () =>
      connect({
        auth_type: 'v3applicationcredential',
        auth: {
          auth_url: AUTH_URL,
          application_credential_name: 'sync',
          application_credential_secret: 'sec',
        },
      }),
    { code: 'CONFIG', message: /an application credential by name needs its user/ },
  );
  assert.throws(
    () =>
      connect({
        auth_type: 'v3applicationcredential',
        auth: { auth_url: AUTH_URL, application_credential_id: 'ac-1' },
      }),
    { code: 'CONFIG', message: /needs auth\.application_credential_id/ },
  );
});

test('no auth_type but an application_credential_secret: an application credential', () => {
  const c = keystone(
    connect({
      auth: {
        auth_url: AUTH_URL,
        application_credential_id: 'ac-1',
        application_credential_secret: 'sec',
      },
    }),
  );
  assert.equal(c.auth, 'application-credential');
  assert.equal(c.identity.kind, 'application-credential');
});

test('auth_type none: NoAuthConnection at image_endpoint_override; none without it: CONFIG', () => {
  const e = one({ auth_type: 'none', image_endpoint_override: 'http://glance:9292' });
  assert.deepEqual(connectionFromCloud('prod', e), {
    source: `clouds.yaml cloud "prod" (${path.join(e.cwd, 'clouds.yaml')})`,
    ca: undefined,
    auth: 'none',
    imageEndpoint: 'http://glance:9292',
  });
  assert.throws(() => connect({ auth_type: 'none' }), {
    code: 'CONFIG',
    message: /auth_type none needs image_endpoint_override/,
  });
});

test('secure.yaml beside clouds.yaml is merged over it, auth deeply', () => {
  const e = place({
    'clouds.yaml': cloudsYaml({
      prod: {
        region_name: 'R1',
        auth: { auth_url: AUTH_URL, username: 'alice', project_name: 'p' },
      },
      other: { auth: { auth_url: AUTH_URL } },
    }),
    'secure.yaml':
      'clouds:\n  prod:\n    region_name: R2\n    auth:\n      password: from-secure\n',
  });
  const { file, entry } = readCloudEntry('prod', e);
  assert.equal(file, path.join(e.cwd, 'clouds.yaml'));
  assert.deepEqual(entry, {
    region_name: 'R2',
    auth: { auth_url: AUTH_URL, username: 'alice', project_name: 'p', password: 'from-secure' },
  });
  const c = keystone(connectionFromCloud('prod', e));
  assert.ok(c.identity.kind === 'password');
  assert.equal(c.identity.password, 'from-secure');
  assert.equal(c.identity.user.name, 'alice');
  assert.equal(c.regionName, 'R2');
  // A cloud the secure file does not name is read as it is.
  assert.deepEqual(readCloudEntry('other', e).entry, { auth: { auth_url: AUTH_URL } });
});

test('OS_CLIENT_CONFIG_FILE wins over a clouds.yaml in cwd', () => {
  const elsewhere = place({
    'conf/mine.yaml': cloudsYaml({
      prod: { auth_type: 'none', image_endpoint_override: 'http://b' },
    }),
  });
  const file = path.join(elsewhere.cwd, 'conf/mine.yaml');
  const e = place(
    {
      'clouds.yaml': cloudsYaml({
        prod: { auth_type: 'none', image_endpoint_override: 'http://a' },
      }),
    },
    { OS_CLIENT_CONFIG_FILE: file },
  );
  const c = connectionFromCloud('prod', e);
  assert.equal(c.auth, 'none');
  assert.equal(c.auth === 'none' && c.imageEndpoint, 'http://b');
  assert.match(c.source, new RegExp(`\\(${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`));
  // Named but missing: an error about that file, not a quiet fall-back to cwd.
  const missing = path.join(root, 'no-such-dir', 'clouds.yaml');
  const m = place(
    { 'clouds.yaml': cloudsYaml({ prod: { auth_type: 'none', image_endpoint_override: 'x' } }) },
    { OS_CLIENT_CONFIG_FILE: missing },
  );
  assert.throws(
    () => connectionFromCloud('prod', m),
    (err: unknown) =>
      err instanceof VmicError && err.code === 'CONFIG' && err.message.startsWith(`${missing}:`),
  );
});

test('clouds.yml and XDG_CONFIG_HOME/openstack are searched too', () => {
  const yml = place({ 'clouds.yml': cloudsYaml({ prod: { auth_type: 'none', endpoint: 'x' } }) });
  assert.equal(readCloudEntry('prod', yml).file, path.join(yml.cwd, 'clouds.yml'));
  const xdg = place({
    'xdg/openstack/clouds.yaml': cloudsYaml({ prod: { auth_type: 'none' } }),
  });
  xdg.env = { ...xdg.env, XDG_CONFIG_HOME: path.join(xdg.cwd, 'xdg') };
  assert.equal(readCloudEntry('prod', xdg).file, path.join(xdg.cwd, 'xdg/openstack/clouds.yaml'));
  const home = place({
    'home/.config/openstack/clouds.yaml': cloudsYaml({ prod: { auth_type: 'none' } }),
  });
  assert.equal(
    readCloudEntry('prod', home).file,
    path.join(home.cwd, 'home/.config/openstack/clouds.yaml'),
  );
});

test('no clouds.yaml anywhere: CONFIG naming the places searched', () => {
  const e = place({});
  const etc = ['yaml', 'yml', 'json']
    .map((ext) => `/etc/openstack/clouds.${ext}`)
    .find((f) => fs.existsSync(f));
  const name = 'vmic-test-cloud-that-is-nowhere';
  assert.throws(
    () => connectionFromCloud(name, e),
    (err: unknown) => {
      assert.ok(err instanceof VmicError);
      assert.equal(err.code, 'CONFIG');
      if (etc)
        // This machine has a clouds.yaml of its own in /etc: then it is the one read.
        assert.ok(err.message.startsWith(`${etc}:`), err.message);
      else
        assert.equal(
          err.message,
          `no clouds.yaml found (looked in OS_CLIENT_CONFIG_FILE, ${e.cwd}, ${path.join(e.home, '.config', 'openstack')}, /etc/openstack)`,
        );
      return true;
    },
  );
});

test('an unknown cloud name: CONFIG listing the clouds there are', () => {
  const e = place({
    'clouds.yaml': cloudsYaml({ prod: { auth_type: 'none' }, test: { auth_type: 'none' } }),
  });
  assert.throws(() => connectionFromCloud('staging', e), {
    code: 'CONFIG',
    message: /no cloud "staging"; it has: prod, test$/,
  });
  // Not a key inherited from Object.prototype either.
  assert.throws(() => connectionFromCloud('constructor', e), { code: 'CONFIG' });
  assert.throws(() => readCloudEntry('prod', place({ 'clouds.yaml': 'clouds: {}\n' })), {
    code: 'CONFIG',
    message: /it has: none$/,
  });
  assert.throws(() => readCloudEntry('prod', place({ 'clouds.yaml': 'other: 1\n' })), {
    code: 'CONFIG',
    message: /it has: no clouds: mapping$/,
  });
});

test('refused settings: verify false, insecure, profile, other auth types, odd interface', () => {
  const auth = { auth_url: AUTH_URL, username: 'a', password: 'pw' };
  assert.throws(() => connect({ auth, verify: false }), {
    code: 'CONFIG',
    message: /TLS verification off is not supported; give the CA file as cacert/,
  });
  assert.throws(() => connect({ auth, insecure: true }), { code: 'CONFIG', message: /cacert/ });
  assert.throws(() => connect({ auth, profile: 'vexxhost' }), {
    code: 'CONFIG',
    message: /vendor profiles are not supported/,
  });
  assert.throws(() => connect({ auth, auth_type: 'token' }), {
    code: 'CONFIG',
    message: /auth_type "token" is not supported \(password, v3applicationcredential, none\)/,
  });
  assert.throws(() => connect({ auth, interface: 'weird' }), {
    code: 'CONFIG',
    message: /interface must be public, internal or admin/,
  });
  assert.throws(() => connect({ auth: { ...auth, password: ['x'] } }), {
    code: 'CONFIG',
    message: /password must be a string/,
  });
  // verify: true is what happens anyway.
  assert.equal(connect({ auth, verify: true }).auth, 'password');
});

test('cacert: the file read into ca; a missing one is CONFIG', () => {
  const pem = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  const dir = place({ 'ca.pem': pem });
  const cacert = path.join(dir.cwd, 'ca.pem');
  const c = connect({ auth_type: 'none', image_endpoint_override: 'https://g', cacert });
  assert.ok(Buffer.isBuffer(c.ca));
  assert.deepEqual(c.ca, pem);
  const missing = path.join(dir.cwd, 'nope.pem');
  assert.throws(
    () => connect({ auth_type: 'none', image_endpoint_override: 'https://g', cacert: missing }),
    { code: 'CONFIG', message: new RegExp(`cacert ${missing.replace(/[.]/g, '\\.')}: ENOENT`) },
  );
});

test('a clouds.yaml that is not a mapping, not YAML, or too large: CONFIG', () => {
  for (const text of ['- a\n- b\n', '"just a string"\n', '42\n']) {
    const e = place({ 'clouds.yaml': text });
    assert.throws(() => connectionFromCloud('prod', e), {
      code: 'CONFIG',
      message: /expected a mapping at the top/,
    });
  }
  assert.throws(() => connectionFromCloud('prod', place({ 'clouds.yaml': 'clouds: [\n  a: {' })), {
    code: 'CONFIG',
    message: /not YAML/,
  });
  const big = `clouds:\n  prod:\n    auth_type: none\n    image_endpoint_override: http://g\n#${'x'.repeat(1024 * 1024)}\n`;
  assert.throws(() => connectionFromCloud('prod', place({ 'clouds.yaml': big })), {
    code: 'CONFIG',
    message: /larger than 1048576 bytes/,
  });
  // An empty file is a file without clouds.
  assert.throws(() => connectionFromCloud('prod', place({ 'clouds.yaml': '' })), {
    code: 'CONFIG',
    message: /no clouds: mapping/,
  });
  // A bad secure.yaml is an error too, not ignored.
  const e = place({
    'clouds.yaml': cloudsYaml({ prod: { auth_type: 'none', image_endpoint_override: 'x' } }),
    'secure.yaml': '- not a mapping\n',
  });
  assert.throws(() => connectionFromCloud('prod', e), {
    code: 'CONFIG',
    message: /secure\.yaml: expected a mapping/,
  });
});

test('v3Url: the v3 root, whether or not the URL names it', () => {
  for (const u of ['http://k:5000', 'http://k:5000/', 'http://k:5000/v3', 'http://k:5000/v3/'])
    assert.equal(v3Url(u), 'http://k:5000/v3');
  assert.equal(v3Url('https://k/identity//'), 'https://k/identity/v3');
});

test('a credential YAML reads as a number is refused, not converted', () => {
  const e = place({
    'clouds.yaml': `clouds:\n  prod:\n    auth:\n      auth_url: ${AUTH_URL}\n      username: alice\n      password: 0123\n      project_id: 12345678901234567890123456789012\n`,
  });
  assert.throws(
    () => connectionFromCloud('prod', e),
    (err: VmicError) =>
      err.code === 'CONFIG' && /password must be a quoted string .*number 123\)/.test(err.message),
  );
  const quoted = place({
    'clouds.yaml': `clouds:\n  prod:\n    auth:\n      auth_url: ${AUTH_URL}\n      username: alice\n      password: '0123'\n`,
  });
  const c = keystone(connectionFromCloud('prod', quoted));
  assert.equal(c.identity.kind === 'password' && c.identity.password, '0123');
});

test('without region_name, the first of regions (a name or {name}), as openstacksdk reads it', () => {
  const base = { auth: { auth_url: AUTH_URL, username: 'a', password: 'p' } };
  assert.equal(
    keystone(connect({ ...base, regions: ['RegionOne', 'RegionTwo'] })).regionName,
    'RegionOne',
  );
  assert.equal(keystone(connect({ ...base, regions: [{ name: 'North' }] })).regionName, 'North');
  assert.equal(
    keystone(connect({ ...base, region_name: 'South', regions: ['North'] })).regionName,
    'South',
  );
  assert.throws(() => connect({ ...base, regions: [42] }), { code: 'CONFIG' });
});
