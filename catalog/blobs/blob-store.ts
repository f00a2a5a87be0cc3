import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { VmicError } from '../../errors/index.ts';
import { ownedTempName, sweepOwnedTemporaries } from '../cleanup/owned-temporaries.ts';
import { durableRename, writeStreamClosed } from './durable-files.ts';
import { DigestingStream, SHA256_HEX, WRITE_BUFFER_BYTES, type Digest } from './digest.ts';
import { listContentFiles } from './content-files.ts';
import {
  checkExpected,
  checkedQuarantineName,
  notFound,
  type ByteRange,
  type IngestOptions,
  type ObjectStore,
  type StoredObject,
} from './object-store.ts';

export type { IngestOptions } from './object-store.ts';

/**
 * Content-addressed local blob store: `<root>/sha256/ab/abcdef...`. A blob's name is its
 * hash, so no caller-supplied name ever reaches the file system (threat: path traversal).
 * Bytes land in `<root>/tmp/` first and are renamed into place only once complete and
 * hashed, so an interrupted upload leaves no blob and no stray file. A temporary file's
 * name carries its owner process, so that start-up cleanup removes what a crashed process
 * left and never what a live one is writing. Mismatching bytes go to `<root>/quarantine/`.
 *
 * The endorser's `blobs/` and the site's `cache/` are both one of these (the layout of
 * earlier versions, so existing data directories keep working).
 */
export class BlobStore implements ObjectStore {
  private readonly tmpDir: string;
  private readonly dirMode: number | undefined;
  readonly location: string;

  /** `lazy`: create the directories on first write, not now (the site cache). */
  constructor(
    readonly root: string,
    opts: { lazy?: boolean; dirMode?: number } = {},
  ) {
    this.tmpDir = path.join(root, 'tmp');
    this.dirMode = opts.dirMode;
    this.location = root;
    if (!opts.lazy) {
      fs.mkdirSync(this.tmpDir, { recursive: true });
      fs.mkdirSync(path.join(root, 'sha256'), { recursive: true });
    }
  }

  pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new VmicError('BAD_REQUEST', 'not a SHA-256 hex digest');
    return path.join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  quarantinePathOf(name: string): string {
    return path.join(this.root, 'quarantine', checkedQuarantineName(name));
  }

  /** A stat: cheap enough for the deploy gate's path (site cache). */
  readonly hasSync = (sha256: string): boolean =>
    SHA256_HEX.test(sha256) && fs.existsSync(this.pathOf(sha256));

  has(sha256: string): Promise<boolean> {
    return Promise.resolve(this.hasSync(sha256));
  }

  async size(sha256: string): Promise<number | undefined> {
    const st = await fs.promises.stat(this.pathOf(sha256)).catch(() => undefined);
    return st?.isFile() ? st.size : undefined;
  }

  async open(sha256: string, range?: ByteRange): Promise<Readable> {
    // Opened before returning: a missing file is NOT_FOUND now, not an error mid-answer.
    const fh = await fs.promises.open(this.pathOf(sha256), 'r').catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(sha256);
      throw e;
    });
    return fh.createReadStream({ highWaterMark: 1024 * 1024, ...(range ?? {}) });
  }

  /**
   * Streams `source` into the store; returns its digest. On any failure (the source
   * errors or is destroyed, an early abort included, a limit, a mismatch) the temporary
   * file is removed once its stream has closed, so that no late open recreates it.
   */
  async ingest(source: Readable, opts: IngestOptions): Promise<Digest> {
    fs.mkdirSync(this.tmpDir, { recursive: true });
    const tmp = path.join(this.tmpDir, ownedTempName());
    // SHA-512 alongside: the HEPiX image list export signs it (issue 6).
    const digesting = new DigestingStream(opts.maxBytes, opts.onProgress, {
      sha512: opts.sha512 ?? true,
    });
    const sink = fs.createWriteStream(tmp, {
      flags: 'wx',
      mode: 0o640,
      highWaterMark: WRITE_BUFFER_BYTES,
    });
    try {
      await pipeline(source, digesting, sink);
      const digest = digesting.digest();
      if (opts.expected) checkExpected(digest, opts.expected);
      // fsync, rename, fsync the directory: a row will vouch for these bytes (§10).
      await this.place(tmp, this.pathOf(digest.sha256));
      return digest;
    } catch (e) {
      await writeStreamClosed(sink);
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
  }

  ingestFile(file: string, opts: IngestOptions): Promise<Digest> {
    return this.ingest(fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), opts);
  }

  /** A rename: the caller hashed the file while writing it, and the rename is atomic. */
  async commitFile(sha256: string, file: string): Promise<void> {
    await this.place(file, this.pathOf(sha256));
  }

  async remove(sha256: string): Promise<void> {
    await fs.promises.rm(this.pathOf(sha256), { force: true });
  }

  async quarantineFile(name: string, file: string): Promise<void> {
    await this.place(file, this.quarantinePathOf(name));
  }

  openQuarantined(name: string): Promise<Readable | undefined> {
    const file = this.quarantinePathOf(name);
    return Promise.resolve(fs.existsSync(file) ? fs.createReadStream(file) : undefined);
  }

  async removeQuarantined(name: string): Promise<void> {
    await fs.promises.rm(this.quarantinePathOf(name), { force: true });
  }

  async *list(): AsyncIterable<StoredObject> {
    for (const [sha256, file] of listContentFiles(path.join(this.root, 'sha256'))) {
      const st = await fs.promises.lstat(file).catch(() => undefined);
      if (st?.isFile()) yield { sha256, size: st.size, modified: st.mtime };
    }
  }

  /** Removes temporary files of processes that are gone (crash, kill -9); returns their names. */
  sweepTemporary(now: Date): Promise<string[]> {
    return Promise.resolve(sweepOwnedTemporaries(this.tmpDir, { now }));
  }

  temporaryFiles(): Promise<string[]> {
    return Promise.resolve(fs.existsSync(this.tmpDir) ? fs.readdirSync(this.tmpDir) : []);
  }

  /**
   * Lists the tree and writes a probe file in the temporary directory, named for this
   * process so that start-up cleanup removes it if we die in between. Writing, not
   * `access()`, catches a read-only or full file system and holds when running as root.
   */
  async probe(): Promise<void> {
    await (await fs.promises.opendir(path.join(this.root, 'sha256'))).close();
    const probe = path.join(this.tmpDir, ownedTempName('readyz'));
    try {
      await fs.promises.writeFile(probe, 'ready\n', { flag: 'wx', mode: 0o600 });
    } finally {
      await fs.promises.rm(probe, { force: true });
    }
  }

  private place(from: string, to: string): Promise<void> {
    return durableRename(from, to, this.dirMode === undefined ? {} : { dirMode: this.dirMode });
  }
}
