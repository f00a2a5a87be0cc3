import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Readable } from 'node:stream';
import {
  DEFAULT_VERSION_CACHE_BYTES,
  VersionFileCache,
  setVersionCacheBytes,
  versionCacheBytesFromEnv,
  versionFileCacheOf,
} from '../../catalog/version-file-cache.ts';

/** A file of `size` bytes and its store, which streams it in two chunks and counts reads. */
function file(size: number, seed: string, stored?: Buffer) {
  const block = crypto.createHash('sha256').update(seed).digest();
  const bytes = Buffer.alloc(size);
  for (let at = 0; at < size; at += block.length) block.copy(bytes, at);
  const f = {
    bytes,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    reads: 0,
    open: () => {
      f.reads++;
      const b = stored ?? bytes;
      const half = b.length >> 1;
      return Promise.resolve(Readable.from([b.subarray(0, half), b.subarray(half)]));
    },
  };
  return f;
}

/** One answer: the bytes served from memory (undefined: streamed), released at once. */
async function answer(cache: VersionFileCache, f: ReturnType<typeof file>, size?: number) {
  const lease = await cache.acquire(f.sha256, size ?? f.bytes.length, f.open);
  lease?.release();
  return lease?.bytes;
}

test('files are kept up to the bound, least recently used out first', async () => {
  const cache = new VersionFileCache(4000);
  const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((seed) => file(1000, seed));
  for (const f of [a!, b!, c!]) assert.ok((await answer(cache, f))!.equals(f.bytes));
  assert.equal(cache.bytes, 3000);
  // a is used again, so b is now the oldest; two more files push out b only.
  await answer(cache, a!);
  await answer(cache, d!);
  await answer(cache, e!);
  assert.equal(cache.bytes, 4000);
  for (const f of [a!, b!, c!, d!, e!]) await answer(cache, f);
  assert.deepEqual(
    [a, b, c, d, e].map((f) => f!.reads),
    [1, 2, 2, 2, 2],
    'a, used again, outlived b: b was read again (pushing out c, and so on in turn)',
  );
  assert.ok(cache.bytes <= 4000);
});

test('a file over a quarter of the bound is streamed, never kept', async () => {
  const cache = new VersionFileCache(4000);
  assert.equal(cache.admits(1000), true);
  assert.equal(cache.admits(1001), false);
  assert.equal(cache.admits(0), false);
  const big = file(1001, 'big');
  assert.equal(await answer(cache, big), undefined);
  assert.equal(big.reads, 0);
  assert.equal(cache.bytes, 0);
});

test('files being sent stay, and leave no room for more than the bound', async () => {
  const cache = new VersionFileCache(4000);
  const files = ['p', 'q', 'r', 's', 't'].map((seed) => file(1000, seed));
  const leases = [];
  for (const f of files.slice(0, 4)) leases.push(await cache.acquire(f.sha256, 1000, f.open));
  assert.ok(leases.every((l) => l !== undefined));
  // Four files in use fill the bound: a fifth is streamed rather than read into memory.
  assert.equal(await cache.acquire(files[4]!.sha256, 1000, files[4]!.open), undefined);
  assert.equal(files[4]!.reads, 0);
  for (const l of leases) l.release();
  assert.ok((await answer(cache, files[4]!))!.equals(files[4]!.bytes));
  assert.equal(cache.bytes, 4000);
});

test('bytes that are not the named file are refused and never kept', async () => {
  const f = file(1000, 'f');
  const tampered = Buffer.from(f.bytes);
  tampered[500] = tampered[500]! ^ 1;
  for (const [stored, size] of [
    [tampered, 1000], // altered in the store
    [f.bytes.subarray(0, 999), 1000], // cut short
    [Buffer.concat([f.bytes, Buffer.from('x')]), 1000], // grown
    [f.bytes, 1001], // the row records another size
  ] as const) {
    const cache = new VersionFileCache(8000);
    await assert.rejects(answer(cache, file(1000, 'f', stored), size), {
      code: 'INTERNAL',
      message: /is not the \d+ bytes its row names/,
    });
    assert.equal(cache.bytes, 0);
  }
  // Kept bytes are served only for the size the row records.
  const cache = new VersionFileCache(4000);
  await answer(cache, f);
  await assert.rejects(answer(cache, f, 999), { code: 'INTERNAL' });
  assert.ok((await answer(cache, f))!.equals(f.bytes));
  assert.equal(f.reads, 1);
});

test('concurrent misses of one file read the store once', async () => {
  const cache = new VersionFileCache(4000);
  const f = file(1000, 'g');
  const got = await Promise.all([1, 2, 3].map(() => answer(cache, f)));
  assert.equal(f.reads, 1);
  for (const bytes of got) assert.ok(bytes!.equals(f.bytes));
});

test('the bound comes from $VMIC_FEED_CACHE_MIB, per instance, and is checked', () => {
  assert.equal(versionCacheBytesFromEnv({}), DEFAULT_VERSION_CACHE_BYTES);
  assert.equal(versionCacheBytesFromEnv({ VMIC_FEED_CACHE_MIB: '16' }), 16 * 1024 * 1024);
  assert.equal(versionCacheBytesFromEnv({ VMIC_FEED_CACHE_MIB: '0' }), 0);
  for (const bad of ['-1', '1.5', '64MiB', '99999'])
    assert.throws(() => versionCacheBytesFromEnv({ VMIC_FEED_CACHE_MIB: bad }), {
      code: 'CONFIG',
    });
  const one = {};
  const two = {};
  setVersionCacheBytes(one, 0);
  assert.equal(versionFileCacheOf(one).admits(1), false, '0 turns the cache off');
  assert.equal(versionFileCacheOf(two).maxBytes, DEFAULT_VERSION_CACHE_BYTES);
  assert.throws(() => setVersionCacheBytes(one, -1), { code: 'CONFIG' });
});
