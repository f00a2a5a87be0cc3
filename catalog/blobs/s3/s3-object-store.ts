import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { VmicError } from '../../../errors/index.ts';
import { DigestingStream, SHA256_HEX, type Digest } from '../digest.ts';
import {
  checkExpected,
  checkedHex,
  checkedQuarantineName,
  notFound,
  type ByteRange,
  type IngestOptions,
  type ObjectStore,
  type StoredObject,
} from '../object-store.ts';
import { isNotFound, type S3Bucket, type S3Connection } from './s3-bucket.ts';
import { copyKey } from './s3-copy.ts';
import { listContent, sweepTemporaryKeys, temporaryKeys } from './s3-listing.ts';
import { temporaryKeyName } from './s3-temporaries.ts';

/** Parts of a multipart upload: 4 in flight × 16 MiB bounds the memory of one ingest. */
const PART_BYTES = 16 * 1024 * 1024;
const PARTS_IN_FLIGHT = 4;
const PROBE_TIMEOUT_MS = 5000;

/**
 * Content-addressed objects in a bucket, under `<prefix><area>/`:
 *
 *   sha256/<hex>        bytes whose SHA-256 and size were verified before the key was written
 *   tmp/<host>_<owner>_<uuid>.part   an ingest in progress (s3-temporaries.ts)
 *   quarantine/<name>   bytes served for <name> that did not match it
 *
 * An ingest hashes while streaming into a multipart upload to a temporary key, checks the
 * digest (and the size the store reports), then copies server-side to `sha256/<hex>` and
 * deletes the temporary key. A content-addressed key thus never holds unverified or
 * partial bytes (threat: a site or the deploy gate trusting bytes nobody checked).
 */
export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  /** Temporary names this process is writing (not yet a key: a multipart upload's first part). */
  private readonly writing = new Set<string>();
  readonly presignedUrl?: (sha256: string) => Promise<string>;

  constructor(
    readonly bucket: S3Bucket,
    /** `blobs/` or `cache/`, after the URL's prefix. */
    readonly base: string,
  ) {
    this.location = `s3://${bucket.location.bucket}/${base}`;
    if (bucket.location.reads === 'presigned')
      this.presignedUrl = (h) => this.presign(h, bucket.location.presignSeconds);
  }

  /** The key of a content-addressed object (public for tests that tamper with it). */
  keyOf(sha256: string): string {
    return `${this.base}sha256/${checkedHex(sha256)}`;
  }

  temporaryKey(name: string): string {
    return `${this.base}tmp/${name}`;
  }

  async has(sha256: string): Promise<boolean> {
    return SHA256_HEX.test(sha256) && (await this.size(sha256)) !== undefined;
  }

  async size(sha256: string): Promise<number | undefined> {
    return this.sizeOfKey(await this.s3(), this.keyOf(sha256));
  }

  async open(sha256: string, range?: ByteRange): Promise<Readable> {
    const s3 = await this.s3();
    try {
      const r = await s3.client.send(
        new s3.sdk.GetObjectCommand({
          Bucket: s3.bucket,
          Key: this.keyOf(sha256),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return r.Body as Readable;
    } catch (e) {
      if (isNotFound(e)) throw notFound(sha256);
      throw e;
    }
  }

  async ingest(source: Readable, opts: IngestOptions): Promise<Digest> {
    const s3 = await this.s3();
    const name = temporaryKeyName();
    const tmp = this.temporaryKey(name);
    this.writing.add(name);
    const digesting = new DigestingStream(opts.maxBytes, opts.onProgress, {
      sha512: opts.sha512 ?? true,
    });
    try {
      await this.upload(s3, tmp, source, digesting);
      const digest = digesting.digest();
      if (opts.expected) checkExpected(digest, opts.expected);
      // The store's own count: bytes lost between our hasher and the disks are caught.
      const stored = await this.sizeOfKey(s3, tmp);
      if (stored !== digest.size)
        throw new VmicError(
          'INTERNAL',
          `the store holds ${stored} bytes, ${digest.size} were sent`,
        );
      // Copied even when the key exists (the same bytes, uploaded again): the copy renews
      // its Last-Modified, as a rename renews a file's mtime, so that the orphan sweep
      // does not take an old unreferenced object just as a new upload adopts it.
      await copyKey(s3, tmp, this.keyOf(digest.sha256), digest.size);
      return digest;
    } finally {
      // On every path, a failure included; one that cannot be deleted now is swept later.
      await this.deleteKey(s3, tmp).catch(() => undefined);
      this.writing.delete(name);
    }
  }

  ingestFile(file: string, opts: IngestOptions): Promise<Digest> {
    return this.ingest(fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), opts);
  }

  /** Through the verified ingest: the bytes are hashed again on their way to the bucket. */
  async commitFile(sha256: string, file: string, size: number): Promise<void> {
    await this.ingestFile(file, { maxBytes: size, expected: { sha256, size }, sha512: false });
    await fs.promises.rm(file, { force: true });
  }

  async remove(sha256: string): Promise<void> {
    await this.deleteKey(await this.s3(), this.keyOf(sha256));
  }

  /** Evidence, not content: uploaded as is, under a name that is never served. */
  async quarantineFile(name: string, file: string): Promise<void> {
    const s3 = await this.s3();
    const key = `${this.base}quarantine/${checkedQuarantineName(name)}`;
    const { Upload } = await import('@aws-sdk/lib-storage');
    await new Upload({
      client: s3.client,
      params: { Bucket: s3.bucket, Key: key, Body: fs.createReadStream(file) },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
    }).done();
    await fs.promises.rm(file, { force: true });
  }

  async openQuarantined(name: string): Promise<Readable | undefined> {
    const s3 = await this.s3();
    const Key = `${this.base}quarantine/${checkedQuarantineName(name)}`;
    try {
      const r = await s3.client.send(new s3.sdk.GetObjectCommand({ Bucket: s3.bucket, Key }));
      return r.Body as Readable;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async removeQuarantined(name: string): Promise<void> {
    await this.deleteKey(await this.s3(), `${this.base}quarantine/${checkedQuarantineName(name)}`);
  }

  async *list(): AsyncIterable<StoredObject> {
    yield* listContent(await this.s3(), `${this.base}sha256/`);
  }

  async sweepTemporary(now: Date): Promise<string[]> {
    return sweepTemporaryKeys(await this.s3(), `${this.base}tmp/`, now);
  }

  /** Temporary keys and unfinished uploads in the bucket, and the ingests this process runs. */
  async temporaryFiles(): Promise<string[]> {
    const stored = await temporaryKeys(await this.s3(), `${this.base}tmp/`);
    return [...new Set([...this.writing, ...stored])];
  }

  /** A HeadBucket, bounded in time: a hung store must not hang the readiness probe. */
  async probe(): Promise<void> {
    const s3 = await this.s3();
    await s3.client.send(new s3.sdk.HeadBucketCommand({ Bucket: s3.bucket }), {
      abortSignal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
  }

  private async presign(sha256: string, ttlSeconds: number): Promise<string> {
    const s3 = await this.s3();
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
    const get = new s3.sdk.GetObjectCommand({ Bucket: s3.bucket, Key: this.keyOf(sha256) });
    return getSignedUrl(s3.client, get, { expiresIn: ttlSeconds });
  }

  /**
   * Streams source → hasher → multipart upload. Each side's failure ends the other: a
   * source that errors or is destroyed fails the upload, which then aborts its multipart
   * upload (no parts are left); a failed upload destroys the hasher, so the source is not
   * read on into nothing. Both are settled before returning.
   */
  private async upload(
    s3: S3Connection,
    key: string,
    source: Readable,
    digesting: DigestingStream,
  ): Promise<void> {
    const { Upload } = await import('@aws-sdk/lib-storage');
    const upload = new Upload({
      client: s3.client,
      params: { Bucket: s3.bucket, Key: key, Body: digesting },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
      leavePartsOnError: false,
    });
    const uploaded = upload.done().catch((e: unknown) => {
      digesting.destroy(e as Error);
      throw e;
    });
    const [fed, up] = await Promise.allSettled([pipeline(source, digesting), uploaded]);
    if (fed.status === 'rejected') throw fed.reason;
    if (up.status === 'rejected') throw up.reason;
  }

  private async sizeOfKey(s3: S3Connection, Key: string): Promise<number | undefined> {
    try {
      const h = await s3.client.send(new s3.sdk.HeadObjectCommand({ Bucket: s3.bucket, Key }));
      return h.ContentLength ?? 0;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  private async deleteKey(s3: S3Connection, Key: string): Promise<void> {
    await s3.client.send(new s3.sdk.DeleteObjectCommand({ Bucket: s3.bucket, Key }));
  }

  private s3(): Promise<S3Connection> {
    return this.bucket.connect();
  }
}
