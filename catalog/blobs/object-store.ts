import type { Readable } from 'node:stream';
import { VmicError } from '../../errors/index.ts';
import { SHA256_HEX, digestsEqual, type Digest } from './digest.ts';

export interface IngestOptions {
  maxBytes: number;
  /** When given, bytes that do not match are refused and nothing is stored. */
  expected?: { sha256: string; size: number };
  onProgress?: (bytes: number) => void;
  /** SHA-512 alongside (default): images need it for HEPiX lists; catalog files do not. */
  sha512?: boolean;
}

/** Inclusive byte positions, as in an HTTP Range (RFC 9110 §14.1.2). */
export interface ByteRange {
  start: number;
  end: number;
}

/** One content-addressed object, as the orphan sweep sees it. */
export interface StoredObject {
  sha256: string;
  size: number;
  /** When its last byte was written (file mtime, object Last-Modified). */
  modified: Date;
}

/**
 * Content-addressed bytes, named by their SHA-256: the endorser's blobs and the site's
 * image cache, on the local disk (blob-store.ts) or in an S3 bucket (s3-object-store.ts).
 * Callers never see a path or a key: only a validated 64-hex name reaches the store
 * (threat: path traversal), and bytes reach a content-addressed name only once their
 * hash and size are verified (threat: unverified or partial bytes served as verified).
 */
export interface ObjectStore {
  /** Where the bytes are, for messages and logs: a directory or `s3://bucket/prefix`. */
  readonly location: string;
  has(sha256: string): Promise<boolean>;
  /**
   * Synchronous existence, where it costs a stat (the disk). Undefined on a remote store,
   * whose callers rely on the row written only after the object is in place.
   */
  readonly hasSync?: (sha256: string) => boolean;
  /** Size in bytes, or undefined when the object is not there. */
  size(sha256: string): Promise<number | undefined>;
  /** The bytes (or a range of them); `NOT_FOUND` when the object is not there. */
  open(sha256: string, range?: ByteRange): Promise<Readable>;
  /**
   * Streams `source` into the store, hashing while streaming; returns its digest. On any
   * failure (the source errors or is destroyed, a limit, a mismatch) nothing is left.
   */
  ingest(source: Readable, opts: IngestOptions): Promise<Digest>;
  /** Adopts an existing file by copying it through the hashing path. */
  ingestFile(file: string, opts: IngestOptions): Promise<Digest>;
  /**
   * Moves a local file whose SHA-256 and size the caller has just verified into place,
   * and removes the file: a durable rename on disk, a verified ingest into a bucket.
   */
  commitFile(sha256: string, file: string, size: number): Promise<void>;
  remove(sha256: string): Promise<void>;
  /** Keeps mismatching bytes aside under `quarantine/<name>`, never under a hash name. */
  quarantineFile(name: string, file: string): Promise<void>;
  openQuarantined(name: string): Promise<Readable | undefined>;
  removeQuarantined(name: string): Promise<void>;
  /** Every content-addressed object (for the orphan sweep). */
  list(): AsyncIterable<StoredObject>;
  /** Removes temporaries that crashed writers left; returns their names. */
  sweepTemporary(now: Date): Promise<string[]>;
  temporaryFiles(): Promise<string[]>;
  /** Throws unless the store can be read and written (readiness). */
  probe(): Promise<void>;
  /**
   * A short-lived URL for the object: set only on a bucket configured with
   * `&redirect=presigned` (lifetime `&presign-seconds=`, default 300).
   */
  readonly presignedUrl?: (sha256: string) => Promise<string>;
}

export function checkedHex(sha256: string): string {
  if (!SHA256_HEX.test(sha256))
    throw new VmicError('BAD_REQUEST', 'not a lowercase SHA-256 hex digest');
  return sha256;
}

/** Quarantine names: a hash, or `sha512-<hex>` for SHA-512-only images. */
const QUARANTINE_NAME = /^(?:[0-9a-f]{64}|sha512-[0-9a-f]{128})$/;

export function checkedQuarantineName(name: string): string {
  if (!QUARANTINE_NAME.test(name))
    throw new VmicError('BAD_REQUEST', 'not a quarantine name (a lowercase hex digest)');
  return name;
}

export function checkExpected(actual: Digest, expected: { sha256: string; size: number }): void {
  if (actual.size !== expected.size) {
    throw new VmicError('HASH_MISMATCH', `size is ${actual.size}, expected ${expected.size}`);
  }
  if (!digestsEqual(actual.sha256, expected.sha256)) {
    throw new VmicError(
      'HASH_MISMATCH',
      `SHA-256 is ${actual.sha256}, expected ${expected.sha256}`,
    );
  }
}

export function notFound(sha256: string): VmicError {
  return new VmicError('NOT_FOUND', `no object sha256:${sha256}`);
}
