import crypto from 'node:crypto';
import fs from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { VmicError } from '../../errors/index.ts';

export const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Write buffer for image files. With the default 16 KiB, every large chunk waits for its
 * own write to finish before the next is accepted; a few MiB lets the disk and the
 * hashing overlap while memory stays bounded.
 */
export const WRITE_BUFFER_BYTES = 4 * 1024 * 1024;
export const SHA512_HEX = /^[0-9a-f]{128}$/;

export interface Digest {
  sha256: string;
  size: number;
  /** Present when the caller asked for it: HEPiX image lists sign SHA-512 (docs/design.md §3). */
  sha512?: string;
}

/**
 * A pass-through that hashes what flows through it and stops at a byte limit. Images are
 * many GiB: they are hashed while streaming, never held in memory (threat: memory
 * exhaustion by one large upload), and a body longer than allowed is cut off at the limit
 * (threat: endless data).
 */
export class DigestingStream extends Transform {
  private readonly hash = crypto.createHash('sha256');
  private readonly hash512: crypto.Hash | undefined;
  private bytes = 0;

  private readonly tooLarge: string;

  constructor(
    private readonly maxBytes: number,
    private readonly onProgress?: (bytes: number) => void,
    /** `tooLarge`: the TOO_LARGE message (default `more than N bytes`). */
    opts: { sha512?: boolean; tooLarge?: string } = {},
  ) {
    super();
    this.hash512 = opts.sha512 ? crypto.createHash('sha512') : undefined;
    this.tooLarge = opts.tooLarge ?? `more than ${maxBytes} bytes`;
  }

  /**
   * Hashes a file's bytes as if they had flowed through first (a download resumed after
   * them), without passing them on; returns the count so far.
   */
  async absorbFile(file: string): Promise<number> {
    for await (const chunk of fs.createReadStream(file, { highWaterMark: 1024 * 1024 })) {
      this.hash.update(chunk as Buffer);
      this.hash512?.update(chunk as Buffer);
      this.bytes += (chunk as Buffer).length;
    }
    return this.bytes;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(new VmicError('TOO_LARGE', this.tooLarge));
      return;
    }
    this.hash.update(chunk);
    this.hash512?.update(chunk);
    this.onProgress?.(this.bytes);
    done(null, chunk);
  }

  digest(): Digest {
    return {
      sha256: this.hash.digest('hex'),
      size: this.bytes,
      ...(this.hash512 ? { sha512: this.hash512.digest('hex') } : {}),
    };
  }
}

/** SHA-256 of a file, streamed in 1 MiB reads. */
export function hashFile(file: string, onProgress?: (bytes: number) => void): Promise<Digest> {
  return hashStream(fs.createReadStream(file, { highWaterMark: 1024 * 1024 }), onProgress);
}

/** SHA-256 of a stream's bytes (a stored object). */
export async function hashStream(
  source: AsyncIterable<unknown>,
  onProgress?: (bytes: number) => void,
): Promise<Digest> {
  const hash = crypto.createHash('sha256');
  let size = 0;
  for await (const chunk of source) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
    onProgress?.(size);
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * SHA-256 and SHA-512 of a file in one streamed read (`hashFile` stays single-hash: it is
 * on the benchmarked path).
 */
export function hashFileDual(file: string): Promise<Required<Digest>> {
  return hashStreamDual(fs.createReadStream(file, { highWaterMark: 1024 * 1024 }));
}

export async function hashStreamDual(source: AsyncIterable<unknown>): Promise<Required<Digest>> {
  const h256 = crypto.createHash('sha256');
  const h512 = crypto.createHash('sha512');
  let size = 0;
  for await (const chunk of source) {
    h256.update(chunk as Buffer);
    h512.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: h256.digest('hex'), sha512: h512.digest('hex'), size };
}

/** Constant-time comparison of two hex digests (threat: timing oracle on expected hashes). */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'utf8');
  const y = Buffer.from(b.toLowerCase(), 'utf8');
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}
