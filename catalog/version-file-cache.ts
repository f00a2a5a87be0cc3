import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { VmicError } from '../errors/index.ts';

const MiB = 1024 * 1024;
/** Memory for published catalog files per instance (issue 15: feeds polled by every site). */
export const DEFAULT_VERSION_CACHE_BYTES = 64 * MiB;
/** The bound on the setting: far more than the hot files need, far less than a host has. */
export const MAX_VERSION_CACHE_BYTES = 4096 * MiB;

/**
 * Published catalog files in memory, keyed by SHA-256, least recently used first out.
 *
 * Why this is safe, also across replicas: a version's files are stored content-addressed
 * (catalog-versions.ts) and a published version never changes, so the bytes named by a
 * SHA-256 are the same in every process for ever; nothing here can go stale, and a
 * publish through another replica is still seen at once, because the row that names the
 * latest version's files is read from the database on every request. Bytes are hashed
 * before they are kept (threat: a store object altered or cut short becoming what every
 * later request gets, under an ETag that vouches for other bytes), and a hit must also
 * have the size the row records.
 *
 * Bounded by total bytes (threat: memory exhaustion); a file larger than a quarter of the
 * bound is never kept but streamed from the store as before (a large endorser's files are
 * hundreds of MB, and one of them must not flush every other feed).
 */
export class VersionFileCache {
  private readonly entries = new Map<string, Buffer>();
  /** Reads in flight: concurrent misses of one file share one read of the store. */
  private readonly loading = new Map<string, Promise<Buffer>>();
  private held = 0;
  readonly maxEntryBytes: number;

  constructor(readonly maxBytes: number) {
    this.maxEntryBytes = Math.floor(maxBytes / 4);
  }

  /** Bytes held now. */
  get bytes(): number {
    return this.held;
  }

  /** Whether a file of `size` bytes is served from memory (else it is streamed). */
  admits(size: number): boolean {
    return size > 0 && size <= this.maxEntryBytes;
  }

  /** The kept bytes named `sha256`, when they have `size` bytes; marks them recently used. */
  get(sha256: string, size: number): Buffer | undefined {
    const bytes = this.entries.get(sha256);
    if (bytes === undefined) return undefined;
    // Unreachable for bytes hashed on the way in, unless the row disagrees with its own
    // hash; such bytes are not this row's file, so they are dropped and read again.
    if (bytes.length !== size) {
      this.drop(sha256);
      return undefined;
    }
    // A Map iterates in insertion order: re-inserting makes this the most recent entry.
    this.entries.delete(sha256);
    this.entries.set(sha256, bytes);
    return bytes;
  }

  /**
   * The file named `sha256` of `size` bytes: kept, or read with `open` and verified (an
   * object that is not these bytes is an INTERNAL error and is not kept). Only for sizes
   * that `admits`.
   */
  async load(sha256: string, size: number, open: () => Promise<Readable>): Promise<Buffer> {
    const kept = this.get(sha256, size);
    if (kept) return kept;
    const key = `${sha256}/${size}`;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = readVerified(sha256, size, open).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    const bytes = await pending;
    this.keep(sha256, bytes);
    return bytes;
  }

  private keep(sha256: string, bytes: Buffer): void {
    if (!this.admits(bytes.length) || this.entries.has(sha256)) return;
    this.entries.set(sha256, bytes);
    this.held += bytes.length;
    for (const [oldest] of this.entries) {
      if (this.held <= this.maxBytes) break;
      this.drop(oldest);
    }
  }

  private drop(sha256: string): void {
    const bytes = this.entries.get(sha256);
    if (bytes === undefined) return;
    this.entries.delete(sha256);
    this.held -= bytes.length;
  }
}

/** Reads at most `size` + 1 bytes and checks their length and SHA-256 against the name. */
async function readVerified(
  sha256: string,
  size: number,
  open: () => Promise<Readable>,
): Promise<Buffer> {
  const pieces: Buffer[] = [];
  const hash = crypto.createHash('sha256');
  let got = 0;
  // Leaving the loop early destroys the store's stream.
  for await (const chunk of await open()) {
    const piece = chunk as Buffer;
    got += piece.length;
    if (got > size) break;
    hash.update(piece);
    pieces.push(piece);
  }
  if (got !== size || hash.digest('hex') !== sha256)
    throw new VmicError(
      'INTERNAL',
      `catalog file sha256:${sha256} in the store is not the ${size} bytes its row names`,
    );
  // A piece may be a view of a larger allocation (a socket read, a pool slab), which
  // keeping it would hold on to unseen; an allocation of exactly `size` keeps the count true.
  const only = pieces.length === 1 ? pieces[0]! : undefined;
  if (only && only.byteOffset === 0 && only.buffer.byteLength === size) return only;
  const bytes = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const piece of pieces) at += piece.copy(bytes, at);
  return bytes;
}

// Keyed by the instance, as the feed max-age is (server/http-cache.ts): a process (the
// tests) may serve several instances, each a replica with its own memory.
const CACHES = new WeakMap<object, VersionFileCache>();

/**
 * `$VMIC_FEED_CACHE_MIB` (whole MiB; 0 turns the cache off), else the default. Read when
 * the app is built (server/app.ts), so that a bad value stops the start, not a request.
 */
export function versionCacheBytesFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.VMIC_FEED_CACHE_MIB?.trim();
  if (!text) return DEFAULT_VERSION_CACHE_BYTES;
  const bytes = /^\d{1,5}$/.test(text) ? Number(text) * MiB : NaN;
  if (!(bytes <= MAX_VERSION_CACHE_BYTES))
    throw new VmicError(
      'CONFIG',
      `VMIC_FEED_CACHE_MIB must be 0 to ${MAX_VERSION_CACHE_BYTES / MiB}, got ${text}`,
    );
  return bytes;
}

/** Sets the bound for `inst` (replacing its cache, emptied); set before serving. */
export function setVersionCacheBytes(inst: object, maxBytes: number): void {
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0 || maxBytes > MAX_VERSION_CACHE_BYTES)
    throw new VmicError('CONFIG', `feed cache must be 0 to ${MAX_VERSION_CACHE_BYTES} bytes`);
  CACHES.set(inst, new VersionFileCache(maxBytes));
}

/** The cache of `inst`, made with the bound from the environment on first use. */
export function versionFileCacheOf(inst: object): VersionFileCache {
  let cache = CACHES.get(inst);
  if (!cache) {
    cache = new VersionFileCache(versionCacheBytesFromEnv());
    CACHES.set(inst, cache);
  }
  return cache;
}

/**
 * A version file from the blob store of `inst`, in memory, read with `open` on a miss;
 * `undefined` when it is too large to keep and is to be streamed instead.
 */
export function cachedVersionFile(
  inst: object,
  file: { sha256: string; size: number },
  open: () => Promise<Readable>,
): Promise<Buffer> | undefined {
  const cache = versionFileCacheOf(inst);
  return cache.admits(file.size) ? cache.load(file.sha256, file.size, open) : undefined;
}
