import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { problemOf, sha256, startHarness, testBytes, type Harness } from './harness.ts';

describe('blobs', () => {
  let h: Harness;
  const bytes = testBytes(1_000_000, 'blob');
  const hex = sha256(bytes);
  before(async () => {
    h = await startHarness();
    await h.inst.blobs.ingest(Readable.from([bytes]), { maxBytes: bytes.length });
  });
  after(async () => {
    assert.deepEqual(h.logs, []);
    await h.close();
  });

  test('whole blob: bytes, type, strong ETag, immutable, Accept-Ranges, 304', async () => {
    const r = await fetch(`${h.url}/blobs/sha256/${hex}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/octet-stream');
    assert.equal(r.headers.get('accept-ranges'), 'bytes');
    assert.equal(r.headers.get('etag'), `"sha256:${hex}"`);
    assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(r.headers.get('content-length'), String(bytes.length));
    assert.deepEqual(Buffer.from(await r.arrayBuffer()), bytes);
    const again = await fetch(`${h.url}/blobs/sha256/${hex}`, {
      headers: { 'if-none-match': `"sha256:${hex}"` },
    });
    assert.equal(again.status, 304);
    await again.arrayBuffer();
    const head = await fetch(`${h.url}/blobs/sha256/${hex}`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), String(bytes.length));
  });

  test('single ranges: 206 with Content-Range; suffix and open-ended ranges', async () => {
    const cases: [string, number, number][] = [
      ['bytes=0-99', 0, 99],
      ['bytes=500000-', 500000, bytes.length - 1],
      ['bytes=-10', bytes.length - 10, bytes.length - 1],
      ['bytes=999990-2000000', 999990, bytes.length - 1],
    ];
    for (const [range, start, end] of cases) {
      const r = await fetch(`${h.url}/blobs/sha256/${hex}`, { headers: { range } });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers.get('content-range'), `bytes ${start}-${end}/${bytes.length}`);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), bytes.subarray(start, end + 1), range);
    }
  });

  test('unsatisfiable range: 416 problem with the size', async () => {
    const r = await fetch(`${h.url}/blobs/sha256/${hex}`, {
      headers: { range: 'bytes=2000000-3000000' },
    });
    assert.equal(r.status, 416);
    assert.equal(r.headers.get('content-range'), `bytes */${bytes.length}`);
    assert.equal((await problemOf(r)).code, 'RANGE_NOT_SATISFIABLE');
  });

  test('bad names are refused before the file system; unknown digests are 404', async () => {
    for (const name of [
      hex.toUpperCase(),
      hex.slice(1),
      `${hex}0`,
      '..%2f..%2fvmic.sqlite',
      'tmp',
    ]) {
      const r = await fetch(`${h.url}/blobs/sha256/${name}`);
      assert.equal(r.status, 400, name);
      assert.equal((await problemOf(r)).code, 'BAD_REQUEST');
    }
    const missing = await fetch(`${h.url}/blobs/sha256/${'0'.repeat(64)}`);
    assert.equal(missing.status, 404);
    assert.equal((await problemOf(missing)).code, 'NOT_FOUND');
    const traversal = await fetch(`${h.url}/blobs/sha256/../../vmic.sqlite`);
    assert.equal(traversal.status, 404);
    await traversal.arrayBuffer();
  });
});
