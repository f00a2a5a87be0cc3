import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { VmicError } from '../../errors/index.ts';
import { SHA256_HEX, SHA512_HEX, digestsEqual, hashStream, type Digest } from '../blobs/digest.ts';
import { checkedHex, type ByteRange, type ObjectStore } from '../blobs/object-store.ts';
import type { Instance } from '../instance.ts';
import type { Insertable } from 'kysely';
import type { Queryable } from '../store/database.ts';
import type { CacheEntryTable } from '../store/schema.ts';

/**
 * The site's image cache, named by the SHA-256 that the endorser signed, in the site
 * cache object store (`inst.siteCache`: `cache/` in the data directory, or in a bucket):
 *
 *   sha256/<hex>        bytes whose SHA-256 and size matched the signed values
 *   quarantine/<hex>    bytes that were served for <hex> but did not match it
 *
 * and, always on local disk (a resumable download appends to a file):
 *
 *   cache/partial/<hex>.part   a download in progress (kept after an interruption, for Range)
 *
 * Only a lowercase 64-hex name ever reaches the file system or a key (threat: path
 * traversal via a crafted hash in a catalog or an API path).
 */
export class ImageCache {
  constructor(
    readonly store: ObjectStore,
    /** Where partial downloads are kept: `<data>/cache/partial`. */
    readonly partialDir: string,
  ) {}

  static of(inst: Instance): ImageCache {
    return new ImageCache(inst.siteCache, path.join(inst.config.dataDir, 'cache', 'partial'));
  }

  partialPathOf(sha256: string): string {
    return path.join(this.partialDir, `${checkedHex(sha256)}.part`);
  }

  /** Whether verified bytes for this hash are in the store (says nothing about their state row). */
  has(sha256: string): Promise<boolean> {
    return SHA256_HEX.test(sha256) ? this.store.has(sha256) : Promise.resolve(false);
  }

  /**
   * The deploy gate's check, for an image whose `cache_entries` row says `verified`. On
   * disk, a stat (microseconds) also catches bytes an operator removed by hand. In a
   * bucket the row alone answers: it is written only after the object is in place (fetch
   * and migration commit the bytes, then the row), and a HEAD per gate request would add
   * a network round trip to every deployment and make the gate fail whenever the store
   * blinks, while deletions out of band are what the orphan sweep and `fetch` repair.
   */
  holdsVerified(sha256: string): boolean {
    if (!SHA256_HEX.test(sha256)) return false;
    return this.store.hasSync ? this.store.hasSync(sha256) : true;
  }

  /** The cached bytes, or a range of them; NOT_FOUND when they are not there. */
  open(sha256: string, range?: ByteRange): Promise<Readable> {
    return this.store.open(checkedHex(sha256), range);
  }

  /** Creates (if needed) and returns the partial file's path, for a download to write to. */
  preparePartial(sha256: string): string {
    const file = this.partialPathOf(sha256);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o750 });
    return file;
  }

  /**
   * A download of an image signed by SHA-512 only (HEPiX): its SHA-256, and so its cache
   * name, is known only once the bytes are in. `partial/sha512-<hex>.part`.
   */
  preparePartialBySha512(sha512: string): string {
    if (!SHA512_HEX.test(sha512))
      throw new VmicError('BAD_REQUEST', 'not a lowercase SHA-512 hex digest');
    const file = path.join(this.partialDir, `sha512-${sha512}.part`);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o750 });
    return file;
  }

  /** Mismatching bytes served for a SHA-512-only image: `quarantine/sha512-<hex>`. */
  async quarantineBySha512(sha512: string, from: string): Promise<void> {
    if (!SHA512_HEX.test(sha512))
      throw new VmicError('BAD_REQUEST', 'not a lowercase SHA-512 hex digest');
    await this.store.quarantineFile(`sha512-${sha512}`, from);
  }

  /**
   * Moves a completed, verified download into place: on disk durably (fsync of the file,
   * rename, fsync of the directory), into a bucket through the verified ingest (hashed
   * again on the way; the key appears only after). The `verified` row written next
   * vouches for these bytes. A stale quarantined copy of the same hash is removed: the
   * cache entry no longer refers to it.
   */
  async commit(sha256: string, from: string, size: number): Promise<void> {
    await this.store.commitFile(checkedHex(sha256), from, size);
    await this.store.removeQuarantined(sha256);
  }

  /** Keeps mismatching bytes aside (evidence for the operator), never under the signed name. */
  async quarantine(sha256: string, from: string): Promise<void> {
    await this.store.quarantineFile(checkedHex(sha256), from);
  }

  /** Quarantined bytes (tests, operators), or undefined. */
  openQuarantined(sha256: string): Promise<Readable | undefined> {
    return this.store.openQuarantined(checkedHex(sha256));
  }
}

/**
 * The one write of a cache entry (fetch and migration receive): one row per SHA-256, so
 * a later verified fetch or migration replaces a quarantined entry. Only the columns
 * given are set on an existing row.
 */
export async function upsertCacheEntry(
  tx: Queryable,
  sha256: string,
  entry: Omit<Insertable<CacheEntryTable>, 'sha256'>,
): Promise<void> {
  await tx
    .insertInto('cache_entries')
    .values({ sha256, ...entry })
    .onConflict((oc) => oc.column('sha256').doUpdateSet(entry))
    .execute();
}

/**
 * Re-hashes a cached image (streaming) and returns its digest if it still matches the
 * signed values; otherwise `HASH_MISMATCH`, or `NOT_FETCHED` if it is not in the cache.
 * Used before handing cached bytes on (migration Export): stored bytes may have been
 * altered since they were verified at fetch time.
 */
export async function rehashCachedImage(
  cache: ImageCache,
  expected: { sha256: string; byteSize: number },
  onProgress?: (bytes: number) => void,
): Promise<Digest> {
  if (!(await cache.has(expected.sha256)))
    throw new VmicError('NOT_FETCHED', `sha256:${expected.sha256} is not in the site cache`);
  const actual = await hashStream(await cache.open(expected.sha256), onProgress);
  checkDigest(actual, expected);
  return actual;
}

/** Size first (cheap and explains the most common corruption), then constant-time hash. */
export function checkDigest(actual: Digest, expected: { sha256: string; byteSize: number }): void {
  if (actual.size !== expected.byteSize)
    throw new VmicError(
      'HASH_MISMATCH',
      `size is ${actual.size} bytes, the signed size is ${expected.byteSize}`,
    );
  if (!digestsEqual(actual.sha256, expected.sha256))
    throw new VmicError(
      'HASH_MISMATCH',
      `SHA-256 is ${actual.sha256}, the signed SHA-256 is ${expected.sha256}`,
    );
}
