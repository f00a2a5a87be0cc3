import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import { VmicError } from '../errors/index.ts';

const MiB = 1024 * 1024;
/** Memory for published catalog files per instance (issue 15: feeds polled by every site). */
export const DEFAULT_VERSION_CACHE_BYTES = 64 * MiB;
/** The bound on the setting: far more than the hot files need, far less than a host has. */
export const MAX_VERSION_CACHE_BYTES = 4096 * MiB;

/** A file's bytes for one answer; `release` once the answer is done or abandoned. */
export interface Lease {
  readonly bytes: Buffer;
  readonly release: () => void;
}

interface Entry {
  bytes: Buffer;
  /** Answers sending these bytes now: dropping the entry would not free its memory. */
  users: number;
}

/**
 * Published catalog files in memory, keyed by SHA-256, least recently used first out.
 *
 * Why this is safe, also across replicas: a version's files are stored content-addressed
 * (catalog-versions.ts) and a published version never changes, so the bytes named by a
 * SHA-256 are the same in every process for ever; nothing here can go stale, and a
 * publish through another replica is still seen at once, because the row that names the
 * latest version's files is not cached: each request is answered from a database read
 * that began after it arrived (fresh-reads.ts). Bytes are hashed
 * before they are kept (threat: a store object altered or cut short becoming what every
 * later request gets, under an ETag that vouches for other bytes), and a hit must also
 * have the size the row records.
 *
 * Bounded (threat: memory exhaustion, say by slow clients each fetching another old
 * version): files being sent are pinned, and a file is read into memory only while the
 * pinned and the reads under way leave room for it under the bound; otherwise it is
 * streamed from the store as before. Unpinned files go first when the bound is passed, so
 * that kept and in-flight bytes together stay under twice the bound. A file larger than a
 * quarter of the bound is always streamed (a large endorser's files are hundreds of MB).
 */
export class VersionFileCache {
  private readonly entries = new Map<string, Entry>();
  /** Reads in flight: concurrent misses of one file share one read of the store. */
  private readonly loading = new Map<string, Promise<Buffer>>();
  private kept = 0;
  private pinned = 0;
  private reading = 0;
  readonly maxEntryBytes: number;

  constructor(readonly maxBytes: number) {
    this.maxEntryBytes = Math.floor(maxBytes / 4);
  }

  /** Bytes kept now. */
  get bytes(): number {
    return this.kept;
  }

  /** Whether a file of `size` bytes may be served from memory (else it is streamed). */
  admits(size: number): boolean {
    return size > 0 && size <= this.maxEntryBytes;
  }

  /**
   * The file named `sha256` of `size` bytes for one answer: kept, or read with `open` and
   * verified (bytes that are not that file are an INTERNAL error and are not kept);
   * `undefined` when it is to be streamed instead.
   */
  async acquire(
    sha256: string,
    size: number,
    open: () => Promise<Readable>,
  ): Promise<Lease | undefined> {
    if (!this.admits(size)) return undefined;
    let entry = this.entries.get(sha256);
    if (!entry) {
      const key = `${sha256}/${size}`;
      let pending = this.loading.get(key);
      if (!pending) {
        if (this.pinned + this.reading + size > this.maxBytes) return undefined;
        this.reading += size;
        pending = readVerified(sha256, size, open).finally(() => {
          this.reading -= size;
          this.loading.delete(key);
        });
        this.loading.set(key, pending);
      }
      const bytes = await pending;
      entry = this.entries.get(sha256) ?? this.insert(sha256, bytes);
    }
    // Kept bytes were hashed on the way in: a row naming them with another size is wrong.
    if (entry.bytes.length !== size) throw notTheFile(sha256, size);
    // A Map iterates in insertion order: re-inserting makes this the most recent entry.
    this.entries.delete(sha256);
    this.entries.set(sha256, entry);
    const lease = this.lease(entry);
    this.evict();
    return lease;
  }

  private insert(sha256: string, bytes: Buffer): Entry {
    const entry = { bytes, users: 0 };
    this.entries.set(sha256, entry);
    this.kept += bytes.length;
    return entry;
  }

  private lease(entry: Entry): Lease {
    if (entry.users++ === 0) this.pinned += entry.bytes.length;
    let held = true;
    return {
      bytes: entry.bytes,
      release: () => {
        if (!held) return;
        held = false;
        if (--entry.users > 0) return;
        this.pinned -= entry.bytes.length;
        this.evict();
      },
    };
  }

  /** Drops unpinned files, least recently used first, until the kept bytes fit the bound. */
  private evict(): void {
    for (const [sha256, entry] of this.entries) {
      if (this.kept <= this.maxBytes) return;
      if (entry.users > 0) continue;
      this.entries.delete(sha256);
      this.kept -= entry.bytes.length;
    }
  }
}

function notTheFile(sha256: string, size: number): VmicError {
  return new VmicError(
    'INTERNAL',
    `catalog file sha256:${sha256} in the store is not the ${size} bytes its row names`,
  );
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
  if (got !== size || hash.digest('hex') !== sha256) throw notTheFile(sha256, size);
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
 * A version file from the blob store of `inst`, in memory for one answer, read with `open`
 * on a miss; `undefined` when it is to be streamed instead.
 */
export function versionFileLease(
  inst: object,
  file: { sha256: string; size: number },
  open: () => Promise<Readable>,
): Promise<Lease | undefined> {
  return versionFileCacheOf(inst).acquire(file.sha256, file.size, open);
}
