import crypto from 'node:crypto';
import { VmicError } from '../../errors/index.ts';

/*
 * A streaming AEAD for transfers, in the manner of age's and Tink's STREAM constructions:
 * the plaintext is cut into fixed-size chunks, each sealed with AES-256-GCM under a key
 * derived for this transfer, with a nonce made of the chunk counter and a last-chunk flag.
 *
 * Threats this answers:
 * - a flipped byte: that chunk's tag fails;
 * - chunks reordered, repeated or dropped: the counter in the nonce no longer matches;
 * - a stream cut at a chunk boundary: the final chunk must carry the last flag, so a
 *   stream that ends after a non-final chunk fails, and data after the final chunk fails;
 * - unauthenticated plaintext on disk: a chunk is released only after its tag checks, so a
 *   receiver writes only authenticated bytes, and can resume after the last good chunk.
 */

/** Plaintext bytes per chunk on the wire (the last chunk may be shorter). */
export const STREAM_CHUNK_BYTES = 1024 * 1024;
const TAG_BYTES = 16;
const NONCE_BYTES = 12;
/** Fresh per transfer; with the data key it gives the stream key (HKDF-SHA-256). */
export const STREAM_SALT_BYTES = 16;
const INFO = 'vmic transfer stream 1';

export interface StreamParams {
  /** The transfer's data key (32 bytes), as wrapped for the receiver. */
  key: Uint8Array;
  /** 16 random bytes of this transfer, carried in the signed manifest. */
  salt: Uint8Array;
  chunkBytes: number;
}

/** Number of chunks for a plaintext of `size` bytes: an empty one is one empty final chunk. */
export function chunkCount(size: number, chunkBytes: number): number {
  return Math.max(1, Math.ceil(size / chunkBytes));
}

/** Bytes on the wire for a plaintext of `size` bytes. */
export function sealedSize(size: number, chunkBytes: number): number {
  return size + chunkCount(size, chunkBytes) * TAG_BYTES;
}

function streamKey(p: StreamParams): Buffer {
  if (p.key.length !== 32 || p.salt.length !== STREAM_SALT_BYTES)
    throw new VmicError('BAD_REQUEST', 'stream key must be 32 bytes and salt 16 bytes');
  if (!Number.isSafeInteger(p.chunkBytes) || p.chunkBytes < 1)
    throw new VmicError('BAD_REQUEST', 'chunk size must be a positive integer');
  return Buffer.from(crypto.hkdfSync('sha256', p.key, p.salt, INFO, 32));
}

/** 11-byte big-endian counter, then 0x01 on the final chunk and 0x00 on every other. */
function nonce(counter: number, last: boolean): Buffer {
  const n = Buffer.alloc(NONCE_BYTES);
  n.writeUIntBE(counter, 5, 6);
  n[NONCE_BYTES - 1] = last ? 1 : 0;
  return n;
}

function seal(key: Buffer, counter: number, last: boolean, plaintext: Buffer): Buffer {
  const c = crypto.createCipheriv('aes-256-gcm', key, nonce(counter, last));
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

function open(key: Buffer, counter: number, last: boolean, sealed: Buffer): Buffer {
  if (sealed.length < TAG_BYTES) throw invalid(counter, 'shorter than its tag');
  const d = crypto.createDecipheriv('aes-256-gcm', key, nonce(counter, last));
  d.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const out = d.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  try {
    d.final();
  } catch {
    throw invalid(
      counter,
      last ? 'does not authenticate as the final chunk' : 'does not authenticate',
    );
  }
  return out;
}

function invalid(counter: number, why: string): VmicError {
  return new VmicError('CIPHERTEXT_INVALID', `transfer chunk ${counter} ${why}`, {
    rule: 'stream.chunk',
  });
}

/** Collects incoming pieces and hands out exact-size blocks, copying each byte about once. */
class BlockBuffer {
  private pieces: Buffer[] = [];
  length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.pieces.push(b);
    this.length += b.length;
  }

  take(n: number): Buffer {
    const first = this.pieces[0];
    // The common cases copy nothing: the first piece holds the whole block.
    if (first && first.length >= n) {
      const block = first.subarray(0, n);
      if (first.length === n) this.pieces.shift();
      else this.pieces[0] = first.subarray(n);
      this.length -= n;
      return block;
    }
    // Otherwise exactly the block's bytes are copied, once; the rest stays as it came.
    const block = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const piece = this.pieces[0]!;
      const used = Math.min(piece.length, n - filled);
      piece.copy(block, filled, 0, used);
      filled += used;
      if (used === piece.length) this.pieces.shift();
      else this.pieces[0] = piece.subarray(used);
    }
    this.length -= n;
    return block;
  }
}

/**
 * Seals a plaintext stream chunk by chunk. One full chunk is held back until more input
 * shows it is not the last. `firstChunk` resumes: the source must then start at byte
 * `firstChunk * chunkBytes` of the plaintext, and the output equals the rest of a full run.
 */
export async function* sealChunks(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  p: StreamParams,
  firstChunk = 0,
): AsyncGenerator<Buffer> {
  const key = streamKey(p);
  const buf = new BlockBuffer();
  let counter = firstChunk;
  for await (const piece of source) {
    buf.push(piece);
    while (buf.length > p.chunkBytes) yield seal(key, counter++, false, buf.take(p.chunkBytes));
  }
  yield seal(key, counter, true, buf.take(buf.length));
}

export interface OpenedChunk {
  index: number;
  /** Authenticated plaintext: safe to write. */
  plaintext: Buffer;
  last: boolean;
}

/**
 * Opens a sealed stream chunk by chunk, yielding each chunk's plaintext only after its tag
 * checks. The stream must end with a chunk flagged last, and, if `expectChunks` is given,
 * have exactly that many chunks (the number the signed manifest states).
 */
export async function* openChunks(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  p: StreamParams,
  opts: { firstChunk?: number; expectChunks?: number } = {},
): AsyncGenerator<OpenedChunk> {
  const key = streamKey(p);
  const block = p.chunkBytes + TAG_BYTES;
  const buf = new BlockBuffer();
  let counter = opts.firstChunk ?? 0;
  const beyond = (n: number) => opts.expectChunks !== undefined && n >= opts.expectChunks;
  for await (const piece of source) {
    buf.push(piece);
    while (buf.length > block) {
      if (beyond(counter + 1)) throw invalid(counter + 1, 'is more than the manifest states');
      yield { index: counter, plaintext: open(key, counter, false, buf.take(block)), last: false };
      counter++;
    }
  }
  // Its own rule: a stream cut short held only authenticated chunks, which a receiver may
  // keep to resume from (a damaged chunk, by contrast, ends the transfer).
  if (buf.length === 0)
    throw new VmicError(
      'CIPHERTEXT_INVALID',
      `transfer chunk ${counter} is missing: the stream ended early`,
      { rule: 'stream.truncated' },
    );
  if (opts.expectChunks !== undefined && counter < opts.expectChunks - 1) {
    // A whole chunk before the stated final one is not final: released if it authenticates,
    // so that a resume keeps every chunk that arrived.
    if (buf.length === block) {
      yield { index: counter, plaintext: open(key, counter, false, buf.take(block)), last: false };
      counter++;
    }
    throw new VmicError(
      'CIPHERTEXT_INVALID',
      `transfer chunk ${counter} is final, but the manifest states ${opts.expectChunks} chunks: the stream ended early`,
      { rule: 'stream.truncated' },
    );
  }
  if (opts.expectChunks !== undefined && counter !== opts.expectChunks - 1)
    throw invalid(counter, `is final, but the manifest states ${opts.expectChunks} chunks`);
  const plaintext = open(key, counter, true, buf.take(buf.length));
  // Only the very first chunk of an empty plaintext may be empty; an empty final chunk
  // after others would let a stream be extended by a bare tag.
  if (plaintext.length === 0 && counter !== 0) throw invalid(counter, 'is an empty final chunk');
  yield { index: counter, plaintext, last: true };
}
