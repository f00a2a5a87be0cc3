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

const file = (size: number, seed: string) => {
  const bytes = crypto.createHash('sha256').update(seed).digest();
  const out = Buffer.alloc(size);
  for (let at = 0; at < size; at += bytes.length) bytes.copy(out, at);
  return { bytes: out, sha256: crypto.createHash('sha256').update(out).digest('hex') };
};

/** A store holding `bytes`, in two chunks as a store streams them; it counts its reads. */
function store(bytes: Buffer) {
  const s = {
    reads: 0,
    open: () => {
      s.reads++;
      const half = bytes.length >> 1;
      return Promise.resolve(Readable.from([bytes.subarray(0, half), bytes.subarray(half)]));
    },
  };
  return s;
}

test('files are kept up to the bound, least recently used out first', async () => {
  const cache = new VersionFileCache(4000);
  const [a, b, c] = ['a', 'b', 'c'].map((seed) => file(1000, seed));
  const stores = [a!, b!, c!].map((f) => store(f.bytes));
  for (const [i, f] of [a!, b!, c!].entries())
    assert.ok((await cache.load(f.sha256, 1000, stores[i]!.open)).equals(f.bytes));
  assert.equal(cache.bytes, 3000);
  // a is used again, so b is now the oldest; two more files push out b, then c.
  assert.ok(cache.get(a!.sha256, 1000));
  const d = file(1000, 'd');
  const e = file(1000, 'e');
  await cache.load(d.sha256, 1000, store(d.bytes).open);
  assert.equal(cache.bytes, 4000);
  await cache.load(e.sha256, 1000, store(e.bytes).open);
  assert.equal(cache.bytes, 4000);
  assert.equal(cache.get(b!.sha256, 1000), undefined);
  assert.ok(cache.get(a!.sha256, 1000));
  assert.ok(cache.get(c!.sha256, 1000));
  // A kept file is not read again.
  await cache.load(a!.sha256, 1000, stores[0]!.open);
  assert.equal(stores[0]!.reads, 1);
});

test('a file over a quarter of the bound is served but never kept', async () => {
  const cache = new VersionFileCache(4000);
  assert.equal(cache.admits(1000), true);
  assert.equal(cache.admits(1001), false);
  assert.equal(cache.admits(0), false);
  const big = file(1001, 'big');
  const s = store(big.bytes);
  assert.ok((await cache.load(big.sha256, 1001, s.open)).equals(big.bytes));
  assert.equal(cache.bytes, 0);
  assert.equal(cache.get(big.sha256, 1001), undefined);
});

test('bytes that are not the named file are refused and never kept', async () => {
  const cache = new VersionFileCache(4000);
  const f = file(1000, 'f');
  const tampered = Buffer.from(f.bytes);
  tampered[500] = tampered[500]! ^ 1;
  for (const [bytes, size] of [
    [tampered, 1000], // altered in the store
    [f.bytes.subarray(0, 999), 1000], // cut short
    [Buffer.concat([f.bytes, Buffer.from('x')]), 1000], // grown
    [f.bytes, 1001], // the row records another size
  ] as const) {
    await assert.rejects(cache.load(f.sha256, size, store(bytes).open), {
      code: 'INTERNAL',
      message: /is not the \d+ bytes its row names/,
    });
    assert.equal(cache.bytes, 0);
  }
  // Kept bytes are served only for the size the row records.
  await cache.load(f.sha256, 1000, store(f.bytes).open);
  assert.equal(cache.get(f.sha256, 999), undefined);
  assert.equal(cache.get(f.sha256, 1000), undefined, 'dropped on the mismatch');
  assert.equal(cache.bytes, 0);
});

test('concurrent misses of one file read the store once', async () => {
  const cache = new VersionFileCache(4000);
  const f = file(1000, 'g');
  const s = store(f.bytes);
  const got = await Promise.all([1, 2, 3].map(() => cache.load(f.sha256, 1000, s.open)));
  assert.equal(s.reads, 1);
  for (const bytes of got) assert.ok(bytes.equals(f.bytes));
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
