import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { BlobStore } from '../../catalog/blobs/blob-store.ts';
import { openObjectStores } from '../../catalog/blobs/open-object-stores.ts';
import { resolveConfig } from '../../catalog/config.ts';
import { testBackend } from '../helpers/backends.ts';
import { readStored, storedNames } from './blobs/stored-objects.ts';

/** A blob store on the configured backend: a directory, or a fresh bucket (…-rgw). */
async function tempStore() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-blobs-'));
  const backend = await testBackend();
  const stores = openObjectStores(
    resolveConfig({ dataDir: dir, blobUrl: backend.blobUrl, env: {} }),
  );
  return {
    store: stores.blobs,
    dir,
    cleanup: async () => {
      await stores.close();
      await backend.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function chunks(total: number, chunk = 64 * 1024): { stream: Readable; sha256: string } {
  const all: Buffer[] = [];
  for (let off = 0; off < total; off += chunk)
    all.push(crypto.randomBytes(Math.min(chunk, total - off)));
  return {
    stream: Readable.from(all),
    sha256: crypto.createHash('sha256').update(Buffer.concat(all)).digest('hex'),
  };
}

test('ingest hashes while streaming and stores the bytes under their SHA-256', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const src = chunks(3 * 1024 * 1024 + 17);
    let progress = 0;
    const d = await store.ingest(src.stream, {
      maxBytes: 10 * 1024 * 1024,
      onProgress: (b) => (progress = b),
    });
    assert.equal(d.sha256, src.sha256);
    assert.equal(d.size, 3 * 1024 * 1024 + 17);
    assert.equal(progress, d.size);
    assert.ok(await store.has(d.sha256));
    assert.equal(
      crypto
        .createHash('sha256')
        .update(await readStored(store, d.sha256))
        .digest('hex'),
      src.sha256,
    );
    assert.deepEqual(await store.temporaryFiles(), []);
  } finally {
    await cleanup();
  }
});

test('a body over the limit fails with TOO_LARGE and leaves no file', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const src = chunks(1024 * 1024);
    await assert.rejects(store.ingest(src.stream, { maxBytes: 1000 }), { code: 'TOO_LARGE' });
    assert.equal(await store.has(src.sha256), false);
    assert.deepEqual(await store.temporaryFiles(), []);
  } finally {
    await cleanup();
  }
});

test('expected hash or size mismatch fails with HASH_MISMATCH and stores nothing', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const a = chunks(4096);
    await assert.rejects(
      store.ingest(a.stream, { maxBytes: 1e6, expected: { sha256: 'f'.repeat(64), size: 4096 } }),
      { code: 'HASH_MISMATCH' },
    );
    const b = chunks(4096);
    await assert.rejects(
      store.ingest(b.stream, { maxBytes: 1e6, expected: { sha256: b.sha256, size: 4095 } }),
      { code: 'HASH_MISMATCH' },
    );
    assert.equal((await store.has(a.sha256)) || (await store.has(b.sha256)), false);
    assert.deepEqual(await store.temporaryFiles(), []);
  } finally {
    await cleanup();
  }
});

test('a source that errors midway leaves no blob and no temporary file', async () => {
  const { store, cleanup } = await tempStore();
  try {
    const broken = new Readable({
      read() {
        this.push(Buffer.alloc(1024, 1));
        this.destroy(new Error('connection reset'));
      },
    });
    await assert.rejects(store.ingest(broken, { maxBytes: 1e6 }), /connection reset/);
    assert.deepEqual(await store.temporaryFiles(), []);
    assert.deepEqual(await storedNames(store), []);
  } finally {
    await cleanup();
  }
});

test('blob names are only ever lowercase SHA-256 hex (no path traversal)', async () => {
  const { store, cleanup } = await tempStore();
  try {
    for (const name of ['../../etc/passwd', 'A'.repeat(64)]) {
      await assert.rejects(store.open(name), { code: 'BAD_REQUEST' });
      await assert.rejects(store.size(name), { code: 'BAD_REQUEST' });
      await assert.rejects(store.remove(name), { code: 'BAD_REQUEST' });
    }
    if (store instanceof BlobStore)
      assert.throws(() => store.pathOf('../../etc/passwd'), { code: 'BAD_REQUEST' });
    assert.equal(await store.has('../x'), false);
  } finally {
    await cleanup();
  }
});
