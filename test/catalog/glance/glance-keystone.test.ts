import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { connectionFromCloud, type CloudsEnv } from '../../../catalog/glance/clouds-yaml.ts';
import { runGlanceSync } from '../../../catalog/glance/sync-run.ts';
import { GlanceClient } from '../../../catalog/glance/glance-client.ts';
import { keystoneSession } from '../../../catalog/glance/keystone.ts';
import { glanceFixtures } from './helpers/glance-site.ts';

/*
 * The sync through a real Keystone v3 (Debian's keystone under uwsgi) in front of a second
 * real Glance (keystonemiddleware auth_token), both started by test/setup/keystone.sh:
 * credentials read from a clouds.yaml as OpenStack's tools read it, the image endpoint
 * taken from the token's service catalog.
 */
const fx = glanceFixtures();

function env(name: string): string {
  const v = process.env[name];
  assert.ok(v, `${name} is not set: run the tests with npm test (test/setup/run-tests.sh)`);
  return v;
}

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-clouds-'));
  const keystone = env('VMIC_TEST_KEYSTONE_URL').replace(/\/v3$/, '');
  fs.writeFileSync(
    path.join(dir, 'clouds.yaml'),
    [
      'clouds:',
      '  by-password:',
      '    auth:',
      `      auth_url: ${keystone}`,
      `      username: ${env('VMIC_TEST_KEYSTONE_USER')}`,
      `      project_name: ${env('VMIC_TEST_KEYSTONE_PROJECT')}`,
      '      user_domain_name: Default',
      '      project_domain_name: Default',
      '    region_name: RegionOne',
      '  by-app-credential:',
      '    auth_type: v3applicationcredential',
      '    auth:',
      `      auth_url: ${keystone}/v3`,
      `      application_credential_id: ${env('VMIC_TEST_KEYSTONE_APP_CRED_ID')}`,
      `      application_credential_secret: ${env('VMIC_TEST_KEYSTONE_APP_CRED_SECRET')}`,
      '  wrong-password:',
      '    auth:',
      `      auth_url: ${keystone}`,
      `      username: ${env('VMIC_TEST_KEYSTONE_USER')}`,
      '      password: not-the-password',
      `      project_name: ${env('VMIC_TEST_KEYSTONE_PROJECT')}`,
      '  other-region:',
      '    auth:',
      `      auth_url: ${keystone}`,
      `      username: ${env('VMIC_TEST_KEYSTONE_USER')}`,
      `      password: ${env('VMIC_TEST_KEYSTONE_PASSWORD')}`,
      `      project_name: ${env('VMIC_TEST_KEYSTONE_PROJECT')}`,
      '    region_name: Elsewhere',
      '',
    ].join('\n'),
  );
  // The password lives in secure.yaml, merged over clouds.yaml as openstacksdk does.
  fs.writeFileSync(
    path.join(dir, 'secure.yaml'),
    `clouds:\n  by-password:\n    auth:\n      password: ${env('VMIC_TEST_KEYSTONE_PASSWORD')}\n`,
  );
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const clouds = (): CloudsEnv => ({ env: {}, cwd: dir, home: dir });

/** The protected Glance's view, with a token of our own (not vmic's client). */
async function listWithToken(site: string): Promise<Record<string, unknown>[]> {
  const auth = await fetch(`${env('VMIC_TEST_KEYSTONE_URL')}/auth/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: {
            id: env('VMIC_TEST_KEYSTONE_APP_CRED_ID'),
            secret: env('VMIC_TEST_KEYSTONE_APP_CRED_SECRET'),
          },
        },
      },
    }),
  });
  assert.equal(auth.status, 201);
  const token = auth.headers.get('x-subject-token')!;
  const url = `${env('VMIC_TEST_GLANCE_KEYSTONE_URL')}/v2/images?vmic_site=${encodeURIComponent(site)}`;
  const r = await fetch(url, { headers: { 'x-auth-token': token } });
  assert.equal(r.status, 200);
  assert.equal((await fetch(url)).status, 401, 'this Glance does require a token');
  return ((await r.json()) as { images: Record<string, unknown>[] }).images;
}

test('password (from clouds.yaml + secure.yaml), then application credential: synced once, then unchanged', async () => {
  const site = await fx.site();
  try {
    const byPassword = connectionFromCloud('by-password', clouds());
    assert.equal(byPassword.auth, 'password');
    const first = await runGlanceSync(site.inst, { connection: byPassword, actor: 'test' });
    assert.equal(
      first.endpoint,
      env('VMIC_TEST_GLANCE_KEYSTONE_URL'),
      'the endpoint comes from the catalog',
    );
    assert.deepEqual(
      first.actions.map((a) => `${a.action} ${a.identifier} ${a.result}`),
      ['create img done'],
    );
    const listed = await listWithToken(site.publicUrl);
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.vmic_sha256, site.bytes.img.sha256);
    assert.equal(listed[0]!.status, 'active');

    const byAppCred = connectionFromCloud('by-app-credential', clouds());
    assert.equal(byAppCred.auth, 'application-credential');
    const second = await runGlanceSync(site.inst, { connection: byAppCred, actor: 'test' });
    assert.deepEqual(second.actions, []);
    assert.equal(second.unchanged, 1);
  } finally {
    await site.cleanup();
  }
});

test('refused credentials: UNAUTHENTICATED; no image endpoint in the region: CONFIG naming it', async () => {
  const site = await fx.site();
  try {
    await assert.rejects(
      runGlanceSync(site.inst, {
        connection: connectionFromCloud('wrong-password', clouds()),
        actor: 'test',
      }),
      { code: 'UNAUTHENTICATED' },
    );
    await assert.rejects(
      runGlanceSync(site.inst, {
        connection: connectionFromCloud('other-region', clouds()),
        actor: 'test',
      }),
      (e: Error & { code?: string }) => e.code === 'CONFIG' && /region Elsewhere/.test(e.message),
    );
    assert.deepEqual(await listWithToken(site.publicUrl), []);
  } finally {
    await site.cleanup();
  }
});

test('a token Keystone revoked: the client gets a new one and the request goes through', async () => {
  const conn = connectionFromCloud('by-password', clouds());
  assert.notEqual(conn.auth, 'none');
  if (conn.auth === 'none') return;
  const session = keystoneSession(conn);
  const first = (await session.token()).token;
  const revoke = await fetch(`${env('VMIC_TEST_KEYSTONE_URL')}/auth/tokens`, {
    method: 'DELETE',
    headers: { 'x-auth-token': first, 'x-subject-token': first },
  });
  assert.equal(revoke.status, 204);
  const client = new GlanceClient(conn, session);
  assert.deepEqual(await client.listManaged('https://nobody.example.org'), []);
  assert.notEqual((await session.token()).token, first, 'a new token replaced the revoked one');
});
