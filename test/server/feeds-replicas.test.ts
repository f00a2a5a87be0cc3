import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openInstance } from '../../catalog/index.ts';
import { startServer } from '../../server/index.ts';
import { setFeedMaxAge } from '../../server/http-cache.ts';
import { bearer, sha256, startHarness } from './harness.ts';

test('two replicas on one database give the same strong ETag for every feed path', async () => {
  const h = await startHarness();
  const second = await openInstance(h.inst.config, { env: {} });
  const logs: string[] = [];
  // Replica two: caches may keep its latest paths five minutes.
  setFeedMaxAge(second, 300);
  const two = await startServer(
    second,
    { host: '127.0.0.1', port: 0 },
    { log: (l) => logs.push(l) },
  );
  try {
    const admin = await h.token('admin');
    let r = await fetch(`${h.url}/api/v1/endorsers/cern/images`, {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify({
        url: 'https://images.example/a.qcow2',
        sha256: sha256('a'),
        size: 1234,
        title: 'a',
      }),
    });
    assert.equal(r.status, 201);
    // Published through replica two, served by both.
    r = await fetch(`${two.url}/api/v1/endorsers/cern/publish`, {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify({ expiresInSeconds: 3600 }),
    });
    const published = await r.text();
    assert.equal(r.status, 201, published);
    const { sequence } = JSON.parse(published) as { sequence: number };
    for (const p of [
      '/feeds/cern',
      '/feeds/cern/catalog.p7m',
      '/feeds/cern/catalog.ttl',
      `/feeds/cern/${sequence}/catalog.p7m`,
      `/feeds/cern/${sequence}/image.list`,
    ]) {
      const a = await fetch(`${h.url}${p}`);
      const b = await fetch(`${two.url}${p}`);
      assert.equal(a.status, 200, p);
      assert.equal(b.status, 200, p);
      const etag = a.headers.get('etag');
      assert.match(etag ?? '', /^"[0-9a-f]{64}"$/, `${p}: a strong ETag of a SHA-256`);
      assert.equal(b.headers.get('etag'), etag, p);
      const bytes = Buffer.from(await a.arrayBuffer());
      assert.deepEqual(Buffer.from(await b.arrayBuffer()), bytes, p);
      assert.equal(etag, `"${sha256(bytes)}"`, `${p}: the ETag is the hash of the bytes`);
      // A cache that validated with one replica revalidates with the other.
      const again = await fetch(`${two.url}${p}`, { headers: { 'if-none-match': etag } });
      assert.equal(again.status, 304, p);
      const versioned = p.includes(`/${sequence}/`);
      assert.equal(
        a.headers.get('cache-control'),
        versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=60, must-revalidate',
        p,
      );
      assert.equal(
        b.headers.get('cache-control'),
        versioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300, must-revalidate',
        p,
      );
    }
    assert.deepEqual(logs, []);
  } finally {
    await two.close();
    await second.close();
    await h.close();
  }
});

test('the feed max-age is bounded', () => {
  const inst = {};
  assert.throws(() => setFeedMaxAge(inst, 3601), { code: 'CONFIG' });
  assert.throws(() => setFeedMaxAge(inst, -1), { code: 'CONFIG' });
  setFeedMaxAge(inst, 0);
});
