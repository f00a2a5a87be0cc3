import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { durableRename } from '../../catalog/blobs/durable-files.ts';
import { BlobStore } from '../../catalog/blobs/blob-store.ts';
import { ImageCache } from '../../catalog/site/image-cache.ts';
import { openImage } from '../../catalog/migration/envelope.ts';

// Durability itself needs a power cut to observe (a kill -9 leaves the page cache intact).
// What can be checked honestly is that the fsyncs happen, on the right paths, in the right
// order: these tests watch the real fs.promises.open and the FileHandle.sync calls.

/** Runs `fn` while recording, in order, each path whose handle was fsynced. */
async function fsyncsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const synced: string[] = [];
  const open = fs.promises.open;
  fs.promises.open = async (file: fs.PathLike, ...rest: unknown[]) => {
    const fh = await (open as (...a: unknown[]) => Promise<fs.promises.FileHandle>)(file, ...rest);
    const sync = fh.sync.bind(fh);
    fh.sync = async () => {
      await sync();
      synced.push(path.resolve(String(file)));
    };
    return fh;
  };
  try {
    await fn();
  } finally {
    fs.promises.open = open;
  }
  return synced;
}

function tempDir(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-durable-'));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

test('durableRename: fsync of the file, rename, fsync of the new directories, the target and the source directory', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const from = path.join(dir, 'tmp', 'x.part');
    fs.mkdirSync(path.dirname(from));
    fs.writeFileSync(from, 'complete bytes');
    const to = path.join(dir, 'store', 'ab', 'abcdef');
    const synced = await fsyncsDuring(() => durableRename(from, to, { dirMode: 0o750 }));
    assert.equal(fs.readFileSync(to, 'utf8'), 'complete bytes');
    assert.equal(fs.existsSync(from), false);
    assert.equal(fs.statSync(path.dirname(to)).mode & 0o777, 0o750);
    assert.equal(synced[0], from, 'the bytes first');
    // `store` and `store/ab` were created: their entries live in `dir` and `store`.
    for (const d of [dir, path.join(dir, 'store'), path.dirname(to), path.dirname(from)])
      assert.ok(synced.includes(d), `fsync of ${path.relative(dir, d) || '.'}`);
    assert.ok(synced.indexOf(path.dirname(to)) > synced.indexOf(path.join(dir, 'store')));
  } finally {
    cleanup();
  }
});

test('blob store and image cache move bytes into place through durableRename', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const blobs = new BlobStore(path.join(dir, 'blobs'));
    const bytes = crypto.randomBytes(100_000);
    const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
    const synced = await fsyncsDuring(() =>
      blobs.ingest(Readable.from([bytes]), { maxBytes: 1e6 }),
    );
    assert.deepEqual(fs.readFileSync(blobs.pathOf(sha256)), bytes);
    assert.ok(
      synced.some((p) => path.dirname(p) === path.join(dir, 'blobs', 'tmp')),
      'the temporary file',
    );
    assert.ok(synced.includes(path.dirname(blobs.pathOf(sha256))), 'the blob directory');

    const store = new BlobStore(path.join(dir, 'cache'), { lazy: true, dirMode: 0o750 });
    const cache = new ImageCache(store, path.join(dir, 'cache', 'partial'));
    const partial = cache.preparePartial(sha256);
    fs.writeFileSync(partial, bytes);
    const cached = await fsyncsDuring(() => cache.commit(sha256, partial, bytes.length));
    assert.deepEqual(fs.readFileSync(store.pathOf(sha256)), bytes);
    assert.deepEqual(cached.slice(0, 1), [partial]);
    assert.ok(cached.includes(path.dirname(store.pathOf(sha256))), 'the cache directory');
  } finally {
    cleanup();
  }
});

// A source that fails at once used to beat the temporary file's open (which runs in the
// thread pool): the file was removed before it existed, then created, and stayed.
// Each failure is followed by a successful write through the same pool, so that a late
// open would have landed before the final look.
test('a source that fails before the temporary file is open leaves no file (blob store, migration receive)', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const blobs = new BlobStore(path.join(dir, 'blobs'));
    for (let i = 0; i < 50; i++) {
      const source = new Readable({ read() {} });
      const ingest = blobs.ingest(source, { maxBytes: 1e6 });
      setImmediate(() => source.destroy(new Error('client gone')));
      await assert.rejects(ingest, /client gone/);
    }
    const received = path.join(dir, 'received');
    fs.mkdirSync(received);
    for (let i = 0; i < 50; i++) {
      const to = path.join(received, `${i}.part`);
      // eslint-disable-next-line require-yield
      async function* gone(): AsyncGenerator<Buffer> {
        await new Promise((resolve) => setImmediate(resolve));
        throw new Error('client gone');
      }
      const file = await fs.promises.open(to, 'wx', 0o600);
      await assert.rejects(
        openImage({
          source: gone(),
          file,
          stream: { key: crypto.randomBytes(32), salt: crypto.randomBytes(16), chunkBytes: 65536 },
          firstChunk: 0,
          chunks: 1,
          plaintext: { sha256: '0'.repeat(64), size: 84 },
          hash: crypto.createHash('sha256'),
          progress: { held: 0 },
        }),
        /client gone/,
      );
      await file.close();
      fs.rmSync(to, { force: true }); // what receiveTransfer does on failure
    }
    await blobs.ingest(Readable.from([Buffer.from('barrier')]), { maxBytes: 1e6 });
    assert.deepEqual(await blobs.temporaryFiles(), []);
    assert.deepEqual(fs.readdirSync(received), []);
  } finally {
    cleanup();
  }
});
