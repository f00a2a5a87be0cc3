/**
 * The real OpenStack Glance that test/setup/glance.sh starts (no-auth, SQLite, file store)
 * answers the Images API v2 as the import code expects: create, upload, checksum, delete.
 * The real Keystone of test/setup/keystone.sh issues project-scoped tokens that the second
 * Glance behind it accepts, and that Glance refuses requests without one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';

function env(name: string): string {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run through test/setup/run-tests.sh`);
  return value;
}

function glanceUrl(): string {
  return env('VMIC_TEST_GLANCE_URL').replace(/\/+$/, '');
}

test('Glance stores an uploaded image and reports its SHA-512', async () => {
  const images = `${glanceUrl()}/v2/images`;
  const name = `vmic-test-${randomUUID()}`;
  const created = await fetch(images, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ name, disk_format: 'raw', container_format: 'bare' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { id } = (await created.json()) as { id: string };
  try {
    const data = randomBytes(64 * 1024);
    const upload = await fetch(`${images}/${id}/file`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: data,
    });
    assert.equal(upload.status, 204, await upload.text());

    const got = await fetch(`${images}/${id}`);
    assert.equal(got.status, 200);
    const image = (await got.json()) as Record<string, unknown>;
    assert.equal(image.name, name);
    assert.equal(image.status, 'active');
    assert.equal(image.size, data.length);
    assert.equal(image.os_hash_algo, 'sha512');
    assert.equal(image.os_hash_value, createHash('sha512').update(data).digest('hex'));
  } finally {
    const deleted = await fetch(`${images}/${id}`, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
  }
  assert.equal((await fetch(`${images}/${id}`)).status, 404);
});

test('Keystone token opens the Keystone-protected Glance; no token is refused', async () => {
  const project = { name: env('VMIC_TEST_KEYSTONE_PROJECT'), domain: { id: 'default' } };
  const user = {
    name: env('VMIC_TEST_KEYSTONE_USER'),
    domain: { id: 'default' },
    password: env('VMIC_TEST_KEYSTONE_PASSWORD'),
  };
  const auth = await fetch(`${env('VMIC_TEST_KEYSTONE_URL')}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: { identity: { methods: ['password'], password: { user } }, scope: { project } },
    }),
  });
  assert.equal(auth.status, 201, await auth.clone().text());
  const token = auth.headers.get('x-subject-token');
  assert.ok(token, 'no X-Subject-Token');
  const { token: body } = (await auth.json()) as {
    token: { project: { name: string }; roles: { name: string }[] };
  };
  assert.equal(body.project.name, project.name);
  assert.ok(body.roles.some((r) => r.name === 'member'));

  const images = `${env('VMIC_TEST_GLANCE_KEYSTONE_URL').replace(/\/+$/, '')}/v2/images`;
  const listed = await fetch(images, { headers: { 'X-Auth-Token': token } });
  assert.equal(listed.status, 200, await listed.clone().text());
  assert.ok(Array.isArray(((await listed.json()) as { images: unknown }).images));

  const anonymous = await fetch(images);
  assert.equal(anonymous.status, 401);
  await anonymous.body?.cancel();
});
