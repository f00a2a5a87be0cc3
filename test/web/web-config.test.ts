import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { VmicError } from '../../errors/index.ts';
import { loadWebConfig, parseWebConfig } from '../../server/web/web-config.ts';
import { tempInstance } from '../helpers/temp-instance.ts';

const ctx = {
  publicUrl: 'https://vmic.example.org',
  demoMode: false,
  baseDir: '/nonexistent',
  sessionSecret: Buffer.alloc(32, 1),
  source: 'web.json',
};
const saml = {
  entryPoint: 'https://idp.example.org/sso',
  idpIssuer: 'https://idp.example.org/idp',
  idpCerts: ['idp.crt'],
  roleAttribute: 'groups',
  roleMapping: {},
};

function refused(raw: unknown): string {
  try {
    parseWebConfig(raw, ctx);
  } catch (e) {
    assert.ok(e instanceof VmicError && e.code === 'CONFIG', String(e));
    return e.message;
  }
  assert.fail('accepted');
}

test('web.json of the wrong shape is refused with CONFIG naming the key by its JSON pointer', () => {
  for (const [raw, message] of [
    [[], 'web.json: must be a JSON object'],
    [{ saml: 'yes' }, 'web.json: /saml: must be a JSON object'],
    [{ sessionIdleMinutes: '30' }, 'web.json: /sessionIdleMinutes: must be a positive number'],
    [{ sessionAbsoluteHours: 0 }, 'web.json: /sessionAbsoluteHours: must be a positive number'],
    [{ sessionIdleMinutes: 10_001 }, 'web.json: /sessionIdleMinutes: must be a positive number'],
    [{ saml: { ...saml, idpIssuer: 5 } }, 'web.json: /saml/idpIssuer: must be a non-empty string'],
    [
      { saml: { ...saml, entryPoint: ' ' } },
      'web.json: /saml/entryPoint: must be a non-empty string',
    ],
    [
      { saml: { ...saml, idpCerts: 'idp.crt' } },
      'web.json: /saml/idpCerts: give one or more certificates',
    ],
    [
      { saml: { ...saml, idpCerts: [''] } },
      'web.json: /saml/idpCerts/0: must be a non-empty string',
    ],
    [
      { saml: { ...saml, forceAuthn: 'true' } },
      'web.json: /saml/forceAuthn: must be true or false',
    ],
    [{ saml: { ...saml, roleMapping: [] } }, 'web.json: /saml/roleMapping: must be a JSON object'],
    [
      { saml: { ...saml, roleMapping: { '/vo/admins': ['admin', 1] } } },
      'web.json: /saml/roleMapping/~1vo~1admins: roles are strings',
    ],
  ] as [unknown, string][])
    assert.equal(refused(raw), message, JSON.stringify(raw));
});

test('what a schema cannot say is still checked, under the same pointers', () => {
  assert.equal(
    refused({ saml: { ...saml, entryPoint: 'ftp://idp.example.org/' } }),
    'web.json: /saml/entryPoint: must be an http(s) URL: ftp://idp.example.org/',
  );
  assert.match(
    refused({ saml: { ...saml, roleMapping: { g: 'root' } } }),
    /^web\.json: \/saml\/roleMapping\/g: unknown role "root"/,
  );
  assert.match(refused({ saml }), /^web\.json: \/saml\/idpCerts\/0: cannot read /);
});

test('defaults and durations; keys it does not know are left alone', () => {
  const config = parseWebConfig(
    { sessionIdleMinutes: 15, sessionAbsoluteHours: 0.5, note: 1 },
    ctx,
  );
  assert.equal(config.sessionIdleSeconds, 900);
  assert.equal(config.sessionAbsoluteSeconds, 1800);
  assert.equal(config.saml, undefined);
  assert.equal(parseWebConfig({}, ctx).sessionIdleSeconds, 1800);
});

test('loadWebConfig: a wrong type in DATA/web.json stops start-up with CONFIG naming file and key', async () => {
  const t = await tempInstance();
  try {
    const file = path.join(t.dir, 'web.json');
    fs.writeFileSync(file, JSON.stringify({ sessionIdleMinutes: true }));
    assert.throws(() => loadWebConfig(t.inst, { demoMode: false, env: {} }), {
      code: 'CONFIG',
      message: `${file}: /sessionIdleMinutes: must be a positive number`,
    });
  } finally {
    await t.cleanup();
  }
});
