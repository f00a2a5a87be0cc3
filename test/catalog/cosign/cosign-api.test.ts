import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createToken } from '../../../catalog/index.ts';
import { startServer } from '../../../server/index.ts';
import { cosignFixture } from './cosign-fixture.ts';

test('the publish API answers 202 with `pending` and no Location under a threshold', async () => {
  const f = await cosignFixture(2);
  const server = await startServer(f.inst, { host: '127.0.0.1', port: 0 }, { log: () => {} });
  try {
    const { token } = await createToken(f.inst, { role: 'admin', ttlSeconds: 600, actor: 't' });
    const r = await fetch(`${server.url}/api/v1/endorsers/cern/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(r.status, 202, await r.clone().text());
    assert.equal(r.headers.get('location'), null);
    const body = (await r.json()) as { sequence: number; pending?: unknown };
    assert.equal(body.sequence, 1);
    assert.deepEqual(body.pending, { threshold: 2, signers: ['cern'], needed: 1 });
    const feed = await fetch(`${server.url}/feeds/cern/catalog.p7m`);
    assert.equal(feed.status, 404);
  } finally {
    await server.close();
    await f.cleanup();
  }
});
