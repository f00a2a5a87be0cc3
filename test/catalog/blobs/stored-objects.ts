import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BlobStore } from '../../../catalog/blobs/blob-store.ts';
import type { ObjectStore } from '../../../catalog/blobs/object-store.ts';
import { S3ObjectStore } from '../../../catalog/blobs/s3/s3-object-store.ts';
import { hostTag } from '../../../catalog/cleanup/process-owner.ts';

/**
 * What tests do to stored bytes behind the store's back (read them whole, tamper with
 * them, drop a crash's leftovers), for either backend: files in the data directory, or
 * keys in the test bucket (VMIC_TEST_BACKEND=…-rgw).
 */

export async function readStored(store: ObjectStore, sha256: string): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const p of await store.open(sha256)) pieces.push(p as Buffer);
  return Buffer.concat(pieces);
}

/** Whether a content-addressed object is there (await-able for assert.ok). */
export function stored(store: ObjectStore, sha256: string): Promise<boolean> {
  return store.has(sha256);
}

/**
 * A file holding the stored bytes, for outside tools (openssl): the blob itself on disk,
 * a copy in a temporary directory for a bucket.
 */
export async function storedFile(store: ObjectStore, sha256: string): Promise<string> {
  if (store instanceof BlobStore) return store.pathOf(sha256);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-stored-'));
  const file = path.join(dir, sha256);
  fs.writeFileSync(file, await readStored(store, sha256));
  return file;
}

/** Replaces the stored bytes under the same name (a failing disk, a local attacker). */
export async function overwriteStored(
  store: ObjectStore,
  sha256: string,
  bytes: Buffer,
): Promise<void> {
  if (store instanceof BlobStore) {
    fs.writeFileSync(store.pathOf(sha256), bytes);
    return;
  }
  await putKey(s3Of(store), s3Of(store).keyOf(sha256), bytes);
}

export async function appendToStored(
  store: ObjectStore,
  sha256: string,
  extra: Buffer | string,
): Promise<void> {
  await overwriteStored(
    store,
    sha256,
    Buffer.concat([await readStored(store, sha256), Buffer.from(extra)]),
  );
}

/** Bytes under a content name without going through ingest (an orphan a crash left). */
export async function placeStored(store: ObjectStore, sha256: string, bytes: Buffer) {
  if (store instanceof BlobStore) {
    const file = store.pathOf(sha256);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, bytes);
    return;
  }
  await putKey(s3Of(store), s3Of(store).keyOf(sha256), bytes);
}

/** A temporary with this name, as a writer that then crashed left it. */
export async function placeTemporary(store: ObjectStore, name: string, bytes: Buffer | string) {
  if (store instanceof BlobStore) {
    fs.mkdirSync(path.join(store.root, 'tmp'), { recursive: true });
    fs.writeFileSync(path.join(store.root, 'tmp', name), bytes);
    return;
  }
  await putKey(s3Of(store), s3Of(store).temporaryKey(name), Buffer.from(bytes));
}

export async function readQuarantined(
  store: ObjectStore,
  name: string,
): Promise<Buffer | undefined> {
  const body = await store.openQuarantined(name);
  if (!body) return undefined;
  const pieces: Buffer[] = [];
  for await (const p of body) pieces.push(p as Buffer);
  return Buffer.concat(pieces);
}

/** Every content-addressed name in the store, sorted. */
export async function storedNames(store: ObjectStore): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list()) out.push(o.sha256);
  return out.sort();
}

function s3Of(store: ObjectStore): S3ObjectStore {
  if (!(store instanceof S3ObjectStore)) throw new Error(`unknown store ${store.location}`);
  return store;
}

async function putKey(store: S3ObjectStore, key: string, bytes: Buffer): Promise<void> {
  const s3 = await store.bucket.connect();
  await s3.client.send(new s3.sdk.PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: bytes }));
}

/** A temporary's name as `owner` (a process token) would have written it into this store. */
export function deadTemporaryName(store: ObjectStore, owner: string): string {
  const uuid = crypto.randomUUID();
  return store instanceof BlobStore
    ? `${owner}_${uuid}.part`
    : `${hostTag()}_${owner}_${uuid}.part`;
}

/**
 * Makes a store unusable while `fn` runs, then usable again: on disk the directory is
 * replaced by a file (neither listable nor writable, whoever runs the test, root
 * included); a bucket is deleted and created again (it must be empty).
 */
export async function whileUnusable(store: ObjectStore, fn: () => Promise<void>): Promise<void> {
  if (store instanceof BlobStore) {
    fs.renameSync(store.root, `${store.root}.moved`);
    fs.writeFileSync(store.root, 'not a directory');
    try {
      await fn();
    } finally {
      fs.rmSync(store.root);
      fs.renameSync(`${store.root}.moved`, store.root);
    }
    return;
  }
  const s3 = await s3Of(store).bucket.connect();
  await s3.client.send(new s3.sdk.DeleteBucketCommand({ Bucket: s3.bucket }));
  try {
    await fn();
  } finally {
    await s3.client.send(new s3.sdk.CreateBucketCommand({ Bucket: s3.bucket }));
  }
}
