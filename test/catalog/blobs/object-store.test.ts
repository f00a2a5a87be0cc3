import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { openObjectStores, type ObjectStores } from '../../../catalog/blobs/open-object-stores.ts';
import { TEMP_GRACE_MS } from '../../../catalog/blobs/s3/s3-temporaries.ts';
import { currentOwner, ownerOf } from '../../../catalog/cleanup/process-owner.ts';
import { resolveConfig } from '../../../catalog/config.ts';
import { ImageCache } from '../../../catalog/site/image-cache.ts';
import { onObjectStore, testBackend } from '../../helpers/backends.ts';
import {
  deadTemporaryName,
  placeTemporary,
  readQuarantined,
  readStored,
  storedNames,
} from './stored-objects.ts';

/**
 * The object store contract, on whichever backend the tests run on: the data directory
 * (default) or a fresh RGW bucket (VMIC_TEST_BACKEND=…-rgw).
 */
async function withStores(fn: (s: ObjectStores, dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-objects-'));
  const backend = await testBackend();
  const stores = openObjectStores(
    resolveConfig({ dataDir: dir, blobUrl: backend.blobUrl, env: {} }),
  );
  try {
    await fn(stores, dir);
  } finally {
    await stores.close();
    await backend.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

async function collect(r: Readable): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const p of r) pieces.push(p as Buffer);
  return Buffer.concat(pieces);
}

async function deadOwner(): Promise<string> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  const token = ownerOf(child.pid!)!;
  child.kill('SIGKILL');
  await once(child, 'exit');
  return token;
}

test('ingest, read back whole and by range, size, remove', async () => {
  await withStores(async ({ blobs }) => {
    const bytes = crypto.randomBytes(3 * 1024 * 1024 + 5);
    const d = await blobs.ingest(Readable.from([bytes]), { maxBytes: 1e8 });
    assert.equal(d.sha256, sha256(bytes));
    assert.equal(d.size, bytes.length);
    assert.equal(d.sha512, crypto.createHash('sha512').update(bytes).digest('hex'));
    assert.equal(await blobs.has(d.sha256), true);
    assert.equal(await blobs.size(d.sha256), bytes.length);
    assert.deepEqual(await readStored(blobs, d.sha256), bytes);
    const ranged = await collect(await blobs.open(d.sha256, { start: 1000, end: 1999 }));
    assert.deepEqual(ranged, bytes.subarray(1000, 2000));
    const tail = await collect(
      await blobs.open(d.sha256, { start: bytes.length - 1, end: bytes.length - 1 }),
    );
    assert.deepEqual(tail, bytes.subarray(bytes.length - 1));
    assert.deepEqual(await blobs.temporaryFiles(), []);
    // The same bytes again: one object, the same digest.
    assert.deepEqual(await blobs.ingest(Readable.from([bytes]), { maxBytes: 1e8 }), d);
    assert.deepEqual(await storedNames(blobs), [d.sha256]);
    await blobs.remove(d.sha256);
    assert.equal(await blobs.has(d.sha256), false);
    await assert.rejects(blobs.open(d.sha256), { code: 'NOT_FOUND' });
    assert.equal(await blobs.size(d.sha256), undefined);
  });
});

test('an empty object is stored and read back', async () => {
  await withStores(async ({ blobs }) => {
    const d = await blobs.ingest(Readable.from([]), { maxBytes: 10 });
    assert.equal(d.size, 0);
    assert.equal(await blobs.size(d.sha256), 0);
    assert.deepEqual(await readStored(blobs, d.sha256), Buffer.alloc(0));
  });
});

test('a mismatch leaves no content-addressed object and no temporary', async () => {
  await withStores(async ({ blobs, siteCache }) => {
    const bytes = crypto.randomBytes(200_000);
    for (const expected of [
      { sha256: 'f'.repeat(64), size: bytes.length },
      { sha256: sha256(bytes), size: bytes.length - 1 },
    ])
      await assert.rejects(blobs.ingest(Readable.from([bytes]), { maxBytes: 1e6, expected }), {
        code: 'HASH_MISMATCH',
      });
    assert.deepEqual(await storedNames(blobs), []);
    assert.deepEqual(await blobs.temporaryFiles(), []);
    // Over the limit: cut off, nothing stored.
    await assert.rejects(blobs.ingest(Readable.from([bytes]), { maxBytes: 1000 }), {
      code: 'TOO_LARGE',
    });
    assert.deepEqual(await storedNames(blobs), []);
    assert.deepEqual(await blobs.temporaryFiles(), []);
    // A cache commit of a file whose claimed hash is wrong never lands under that hash
    // in a bucket (hashed again on the way); on disk the caller's verification is trusted.
    if (onObjectStore()) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-commit-'));
      try {
        const file = path.join(dir, 'download.part');
        fs.writeFileSync(file, bytes);
        await assert.rejects(siteCache.commitFile('e'.repeat(64), file, bytes.length), {
          code: 'HASH_MISMATCH',
        });
        assert.deepEqual(await storedNames(siteCache), []);
        assert.deepEqual(await siteCache.temporaryFiles(), []);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});

test('a source destroyed mid-upload, or failing, leaves no object and no temporary', async () => {
  await withStores(async ({ blobs }) => {
    const piece = crypto.randomBytes(1024 * 1024);
    // 18 MiB: past the first part of a multipart upload (16 MiB), whose parts must go too.
    for (const [failure, pieces] of [
      [undefined, 18],
      [new Error('connection reset'), 3],
    ] as const) {
      let sent = 0;
      const source = new Readable({
        read() {
          if (sent++ < pieces) this.push(piece);
          else this.destroy(failure);
        },
      });
      await assert.rejects(blobs.ingest(source, { maxBytes: 1e8 }));
      assert.deepEqual(await storedNames(blobs), []);
      assert.deepEqual(await blobs.temporaryFiles(), []);
    }
  });
});

test('crash leftovers: a dead writer’s temporary is swept, a live one’s kept, an unknown one after the grace period', async () => {
  await withStores(async ({ blobs }) => {
    const dead = deadTemporaryName(blobs, await deadOwner());
    const live = deadTemporaryName(blobs, currentOwner());
    for (const name of [dead, live]) await placeTemporary(blobs, name, 'partial bytes');
    const now = new Date();
    assert.deepEqual(await blobs.sweepTemporary(now), [dead]);
    assert.deepEqual(await blobs.temporaryFiles(), [live]);
    if (onObjectStore()) {
      // Another host's key (or a name vmic does not write): only age can tell.
      const other = `00000000_${currentOwner()}_${crypto.randomUUID()}.part`;
      await placeTemporary(blobs, other, 'from another replica');
      assert.deepEqual(await blobs.sweepTemporary(now), []);
      const later = new Date(Date.now() + TEMP_GRACE_MS + 60_000);
      assert.deepEqual((await blobs.sweepTemporary(later)).sort(), [live, other].sort());
    }
  });
});

test('quarantine keeps mismatching bytes aside, never under the signed name; a commit clears it', async () => {
  await withStores(async ({ siteCache }, dir) => {
    const cache = new ImageCache(siteCache, path.join(dir, 'cache', 'partial'));
    const signed = crypto.randomBytes(100_000);
    const served = crypto.randomBytes(100_000);
    const hex = sha256(signed);
    const partial = cache.preparePartial(hex);
    fs.writeFileSync(partial, served);
    await cache.quarantine(hex, partial);
    assert.equal(fs.existsSync(partial), false, 'the partial file moved');
    assert.equal(await cache.has(hex), false);
    assert.deepEqual(await readQuarantined(siteCache, hex), served);

    fs.writeFileSync(cache.preparePartial(hex), signed);
    await cache.commit(hex, cache.partialPathOf(hex), signed.length);
    assert.equal(await cache.has(hex), true);
    assert.equal(cache.holdsVerified(hex), true);
    assert.deepEqual(await readStored(siteCache, hex), signed);
    assert.equal(await readQuarantined(siteCache, hex), undefined, 'the stale quarantine is gone');
    assert.deepEqual(await siteCache.temporaryFiles(), []);
  });
});

test('the readiness probe passes on a reachable store', async () => {
  await withStores(async ({ blobs }) => {
    await blobs.probe();
    assert.deepEqual(await blobs.temporaryFiles(), []);
  });
});
