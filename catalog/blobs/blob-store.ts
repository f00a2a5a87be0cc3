import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { VmicError } from '../../errors/index.ts';
import { ownedTempName, sweepOwnedTemporaries } from '../cleanup/owned-temporaries.ts';
import { durableRename, writeStreamClosed } from './durable-files.ts';
import {
  DigestingStream,
  SHA256_HEX,
  WRITE_BUFFER_BYTES,
  digestsEqual,
  type Digest,
} from './digest.ts';

export interface IngestOptions {
  maxBytes: number;
  /** When given, bytes that do not match are refused and nothing is stored. */
  expected?: { sha256: string; size: number };
  onProgress?: (bytes: number) => void;
  /** SHA-512 alongside (default): images need it for HEPiX lists; catalog files do not. */
  sha512?: boolean;
}

/**
 * Content-addressed local blob store: `blobs/sha256/ab/abcdef...`. A blob's name is its
 * hash, so no caller-supplied name ever reaches the file system (threat: path traversal).
 * Bytes land in `blobs/tmp/` first and are renamed into place only once complete and
 * hashed, so an interrupted upload leaves no blob and no stray file. A temporary file's
 * name carries its owner process, so that start-up cleanup removes what a crashed process
 * left and never what a live one is writing.
 */
export class BlobStore {
  private readonly tmpDir: string;

  constructor(readonly root: string) {
    this.tmpDir = path.join(root, 'tmp');
    fs.mkdirSync(this.tmpDir, { recursive: true });
    fs.mkdirSync(path.join(root, 'sha256'), { recursive: true });
  }

  pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new VmicError('BAD_REQUEST', 'not a SHA-256 hex digest');
    return path.join(this.root, 'sha256', sha256.slice(0, 2), sha256);
  }

  has(sha256: string): boolean {
    return SHA256_HEX.test(sha256) && fs.existsSync(this.pathOf(sha256));
  }

  /**
   * Streams `source` into the store; returns its digest. On any failure (the source
   * errors or is destroyed, an early abort included, a limit, a mismatch) the temporary
   * file is removed once its stream has closed, so that no late open recreates it.
   */
  async ingest(source: Readable, opts: IngestOptions): Promise<Digest> {
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
      await durableRename(tmp, this.pathOf(digest.sha256));
      return digest;
    } catch (e) {
      await writeStreamClosed(sink);
      await fs.promises.rm(tmp, { force: true });
      throw e;
    }
  }

  /** Adopts an existing file by copying it through the hashing path. */
  ingestFile(file: string, opts: IngestOptions): Promise<Digest> {
    return this.ingest(fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), opts);
  }

  /** Removes temporary files of processes that are gone (crash, kill -9); returns their names. */
  sweepTemporary(now: Date): string[] {
    return sweepOwnedTemporaries(this.tmpDir, { now });
  }

  temporaryFiles(): string[] {
    return fs.readdirSync(this.tmpDir);
  }
}

function checkExpected(actual: Digest, expected: { sha256: string; size: number }): void {
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
