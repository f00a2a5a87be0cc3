import crypto from 'node:crypto';
import fs from 'node:fs';
import { VmicError } from '../../errors/index.ts';
import { digestsEqual } from '../blobs/digest.ts';
import { openChunks, sealChunks, type StreamParams } from './chunked-aead.ts';

/** Reads of the cached image: one chunk each, so that chunks are cut without copying much. */
const READ_BYTES = 1024 * 1024;

export interface SealImage {
  /** The cached image: a file, or an opener of its stored bytes (the site cache store). */
  from: string | (() => Promise<AsyncIterable<unknown>>);
  /** What the site verified for it, and what the signed manifest states. */
  expected: { sha256: string; size: number };
  stream: StreamParams;
  /** Resume: the first chunk to send; chunks before it are read and hashed, not sent. */
  firstChunk?: number;
}

/**
 * The sender's single pass over the cached image: read, hash, seal, send.
 *
 * The manifest, signed before the first byte goes out, states the SHA-256 the site
 * verified when it fetched the image. The cached file may have changed since (threat: a
 * local attacker or a failing disk altering the cache, so that we would sign for bytes we
 * do not send). So the file is hashed again as it is read, and the final chunk — the only
 * one that lets the receiver complete — is held back until the running hash and size equal
 * the manifest's: sealChunks releases the last chunk only once its source has ended, and
 * this source throws HASH_MISMATCH at its end when they differ. The receiver then holds
 * only authenticated but incomplete chunks in its temporary area and never commits.
 * A resumed transfer re-reads (and hashes) the chunks the receiver already holds, but
 * neither seals nor sends them.
 */
export async function* sealImage(input: SealImage): AsyncGenerator<Buffer> {
  const skip = (input.firstChunk ?? 0) * input.stream.chunkBytes;
  const hash = crypto.createHash('sha256');
  let size = 0;
  async function* plaintext(): AsyncGenerator<Buffer> {
    const source =
      typeof input.from === 'string'
        ? fs.createReadStream(input.from, { highWaterMark: READ_BYTES })
        : await input.from();
    for await (const piece of source) {
      const b = piece as Buffer;
      hash.update(b);
      const start = size;
      size += b.length;
      if (size > input.expected.size) throw changed(`more than ${input.expected.size} bytes`);
      if (size <= skip) continue;
      yield start >= skip ? b : b.subarray(skip - start);
    }
    const sha256 = hash.digest('hex');
    if (size !== input.expected.size || !digestsEqual(sha256, input.expected.sha256))
      throw changed(`${size} bytes hashing to ${sha256}`);
  }
  yield* sealChunks(plaintext(), input.stream, input.firstChunk ?? 0);
}

function changed(what: string): VmicError {
  return new VmicError(
    'HASH_MISMATCH',
    `the cached image changed since it was verified: now ${what}, not the signed SHA-256; the final chunk was not sent`,
    { rule: 'export.sha256' },
  );
}

export interface OpenImage {
  /** Sealed chunks from `firstChunk` on. */
  source: AsyncIterable<Buffer>;
  /** The temporary file, already holding exactly `firstChunk` chunks of plaintext. */
  file: fs.promises.FileHandle;
  stream: StreamParams;
  firstChunk: number;
  chunks: number;
  plaintext: { sha256: string; size: number };
  /** A hash already fed with the plaintext of the chunks held. */
  hash: crypto.Hash;
  /** Chunks whose plaintext is written, counted from 0: what a resume may start from. */
  progress: { held: number };
}

/**
 * The receiver's single pass: each chunk is authenticated (openChunks) before its plaintext
 * is written, so no unauthenticated byte touches the disk (threat: forged or damaged bytes
 * in a file someone may read, or resume from). One write is in flight while the next chunk
 * is opened (back-pressure: no more than two chunks in memory). After the final chunk the
 * whole plaintext must match the signed SHA-256 and size, else HASH_MISMATCH.
 */
export async function openImage(input: OpenImage): Promise<void> {
  let size = input.firstChunk * input.stream.chunkBytes;
  let writing: Promise<void> = Promise.resolve();
  input.progress.held = input.firstChunk;
  try {
    for await (const c of openChunks(input.source, input.stream, {
      firstChunk: input.firstChunk,
      expectChunks: input.chunks,
    })) {
      input.hash.update(c.plaintext);
      size += c.plaintext.length;
      if (size > input.plaintext.size)
        throw new VmicError('CIPHERTEXT_INVALID', 'more plaintext than the manifest states', {
          rule: 'stream.size',
        });
      await writing;
      const at = c.index * input.stream.chunkBytes;
      writing = input.file.write(c.plaintext, 0, c.plaintext.length, at).then(() => {
        input.progress.held = c.index + 1;
      });
    }
  } finally {
    // The write in flight settles before the caller closes or keeps the file.
    await writing.catch(() => undefined);
  }
  await writing;
  const sha256 = input.hash.digest('hex');
  if (size !== input.plaintext.size || !digestsEqual(sha256, input.plaintext.sha256))
    throw new VmicError('HASH_MISMATCH', 'decrypted bytes do not match the signed SHA-256', {
      rule: 'plaintext.sha256',
    });
}

/** Drops the first `n` bytes of a stream: a bundle read again past chunks already held. */
export async function* skipBytes(source: AsyncIterable<Buffer>, n: number): AsyncGenerator<Buffer> {
  let left = n;
  for await (const b of source) {
    if (left >= b.length) {
      left -= b.length;
      continue;
    }
    yield left > 0 ? b.subarray(left) : b;
    left = 0;
  }
}
