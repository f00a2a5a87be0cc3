import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { addImageFromStream, publishCatalog } from '../../catalog/index.ts';
import { bearer, problemOf, sha256, startHarness, testBytes, type Harness } from './harness.ts';

describe('blobs', () => {
  let h: Harness;
  const bytes = testBytes(1_000_000, 'blob');
  const hex = sha256(bytes);
  before(async () => {
    h = await startHarness();
    // Published bytes are public; the tests below read them anonymously.
    await addImageFromStream(h.inst, {
      endorser: h.endorser,
      identifier: 'published',
      metadata: { title: 'Published' },
      source: Readable.from([bytes]),
      actor: 'test',
    });
    await publishCatalog(h.inst, { endorser: h.endorser, actor: 'test' });
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

  test('If-Range with this strong ETag keeps the range; another validator, or several ranges, get the whole body', async () => {
    const url = `${h.url}/blobs/sha256/${hex}`;
    const kept = await fetch(url, {
      headers: { range: 'bytes=10-19', 'if-range': `"sha256:${hex}"` },
    });
    assert.equal(kept.status, 206);
    assert.deepEqual(Buffer.from(await kept.arrayBuffer()), bytes.subarray(10, 20));
    for (const headers of [
      { range: 'bytes=10-19', 'if-range': '"sha256:other"' },
      { range: 'bytes=10-19', 'if-range': 'Wed, 21 Oct 2015 07:28:00 GMT' },
      { range: 'bytes=0-9,100-109' },
      { range: 'pages=1-2' },
    ]) {
      const r = await fetch(url, { headers });
      assert.equal(r.status, 200, JSON.stringify(headers));
      assert.equal(r.headers.get('content-range'), null);
      assert.equal(sha256(Buffer.from(await r.arrayBuffer())), hex);
    }
    const headRange = await fetch(url, { method: 'HEAD', headers: { range: 'bytes=0-99' } });
    assert.equal(headRange.status, 206);
    assert.equal(headRange.headers.get('content-length'), '100');
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

  test('uploaded bytes are 404 to anonymous clients until a published catalog lists them', async () => {
    const secret = testBytes(200_000, 'unpublished');
    const secretHex = sha256(secret);
    const endorserToken = await h.token(`endorser:${h.endorser}`);
    const form = new FormData();
    form.append('title', 'Embargoed');
    form.append('identifier', 'embargoed');
    form.append('file', new Blob([secret]), 'disk.raw');
    const up = await fetch(`${h.url}/api/v1/endorsers/${h.endorser}/images`, {
      method: 'POST',
      headers: bearer(endorserToken),
      body: form,
    });
    assert.equal(up.status, 201);
    await up.arrayBuffer();
    const url = `${h.url}/blobs/sha256/${secretHex}`;

    // Anonymous, or a role with no claim on the image: the same 404 as bytes that do not
    // exist, so not even the upload is revealed.
    for (const headers of [
      {},
      bearer(await h.token('auditor')),
      bearer(await h.token('endorser:other')),
    ]) {
      const r = await fetch(url, { headers });
      assert.equal(r.status, 404);
      assert.equal((await problemOf(r)).code, 'NOT_FOUND');
      const head = await fetch(url, { method: 'HEAD', headers });
      assert.equal(head.status, 404);
    }
    const forged = await fetch(url, { headers: { authorization: 'Bearer not.a.token' } });
    assert.equal(forged.status, 401);
    await forged.arrayBuffer();

    // The owning endorser and admins may read them, never from a shared cache.
    for (const token of [endorserToken, await h.token('admin')]) {
      const r = await fetch(url, { headers: bearer(token) });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('cache-control'), 'private, no-store');
      assert.equal(sha256(Buffer.from(await r.arrayBuffer())), secretHex);
    }

    const pub = await fetch(`${h.url}/api/v1/endorsers/${h.endorser}/publish`, {
      method: 'POST',
      headers: { ...bearer(endorserToken), 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(pub.status, 201);
    await pub.arrayBuffer();
    const after = await fetch(url);
    assert.equal(after.status, 200);
    assert.equal(after.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(sha256(Buffer.from(await after.arrayBuffer())), secretHex);
  });
});
