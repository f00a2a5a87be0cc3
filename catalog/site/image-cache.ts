import fs from 'node:fs';
import path from 'node:path';
import { VmicError } from '../../errors/index.ts';
import { SHA256_HEX, SHA512_HEX, digestsEqual, hashFile, type Digest } from '../blobs/digest.ts';
import { durableRename } from '../blobs/durable-files.ts';
import type { Instance } from '../instance.ts';
import type { Insertable } from 'kysely';
import type { Queryable } from '../store/database.ts';
import type { CacheEntryTable } from '../store/schema.ts';

/**
 * The site's image cache, named by the SHA-256 that the endorser signed:
 *
 *   cache/sha256/ab/<hex>      bytes whose SHA-256 and size matched the signed values
 *   cache/partial/<hex>.part   a download in progress (kept after an interruption, for Range)
 *   cache/quarantine/<hex>     bytes that were served for <hex> but did not match it
 *
 * Only a lowercase 64-hex name ever reaches the file system (threat: path traversal via a
 * crafted hash in a catalog or an API path).
 */
export class ImageCache {
  constructor(readonly root: string) {}

  static of(inst: Instance): ImageCache {
    return new ImageCache(path.join(inst.config.dataDir, 'cache'));
  }

  pathOf(sha256: string): string {
    return path.join(this.root, 'sha256', checkedHex(sha256).slice(0, 2), sha256);
  }

  partialPathOf(sha256: string): string {
    return path.join(this.root, 'partial', `${checkedHex(sha256)}.part`);
  }

  quarantinePathOf(sha256: string): string {
    return path.join(this.root, 'quarantine', checkedHex(sha256));
  }

  /** Whether verified bytes for this hash are on disk (says nothing about their state row). */
  has(sha256: string): boolean {
    return SHA256_HEX.test(sha256) && fs.existsSync(this.pathOf(sha256));
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
    const file = path.join(this.root, 'partial', `sha512-${sha512}.part`);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o750 });
    return file;
  }

  /** Mismatching bytes served for a SHA-512-only image: `quarantine/sha512-<hex>`. */
  async quarantineBySha512(sha512: string, from: string): Promise<string> {
    if (!SHA512_HEX.test(sha512))
      throw new VmicError('BAD_REQUEST', 'not a lowercase SHA-512 hex digest');
    const to = path.join(this.root, 'quarantine', `sha512-${sha512}`);
    await durableRename(from, to, { dirMode: 0o750 });
    return to;
  }

  /**
   * Moves a completed, verified download into place, durably (fsync of the file, rename,
   * fsync of the directory: the `verified` row written next vouches for these bytes). A
   * stale quarantined copy of the same hash is removed: the cache entry no longer refers
   * to it.
   */
  async commit(sha256: string, from: string): Promise<string> {
    const to = this.pathOf(sha256);
    await durableRename(from, to, { dirMode: 0o750 });
    await fs.promises.rm(this.quarantinePathOf(sha256), { force: true });
    return to;
  }

  /** Keeps mismatching bytes aside (evidence for the operator), never under the signed name. */
  async quarantine(sha256: string, from: string): Promise<string> {
    const to = this.quarantinePathOf(sha256);
    await durableRename(from, to, { dirMode: 0o750 });
    return to;
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
 * Used before handing cached bytes on (migration Export): a file on disk may have been
 * altered since it was verified at fetch time.
 */
export async function rehashCachedImage(
  cache: ImageCache,
  expected: { sha256: string; byteSize: number },
  onProgress?: (bytes: number) => void,
): Promise<Digest> {
  if (!cache.has(expected.sha256))
    throw new VmicError('NOT_FETCHED', `sha256:${expected.sha256} is not in the site cache`);
  const actual = await hashFile(cache.pathOf(expected.sha256), onProgress);
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

function checkedHex(sha256: string): string {
  if (!SHA256_HEX.test(sha256))
    throw new VmicError('BAD_REQUEST', 'not a lowercase SHA-256 hex digest');
  return sha256;
}
