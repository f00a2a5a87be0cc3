import crypto from 'node:crypto';
import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { VmicError } from '../../errors/index.ts';
import { WRITE_BUFFER_BYTES, digestsEqual } from '../blobs/digest.ts';
import { writeStreamClosed } from '../blobs/durable-files.ts';
import { GCM_TAG_BYTES } from './manifest.ts';

export interface SealedFile {
  plaintext: { sha256: string; size: number };
  ciphertext: { sha256: string; size: number };
}

export interface SealInput {
  from: string;
  key: Uint8Array;
  iv: Uint8Array;
  aad: string;
}

/** Reads stay small: memory is bounded by a few chunks whatever the image size. */
const READ_BYTES = 256 * 1024;

/** AES-256-GCM over the file, as a stream of ciphertext chunks ending with the 16-byte tag. */
export async function* sealedStream(
  input: SealInput,
  onPlaintext?: (chunk: Buffer) => void,
): AsyncGenerator<Buffer> {
  const cipher = crypto.createCipheriv('aes-256-gcm', input.key, input.iv);
  cipher.setAAD(Buffer.from(input.aad, 'utf8'));
  for await (const chunk of fs.createReadStream(input.from, { highWaterMark: READ_BYTES })) {
    onPlaintext?.(chunk as Buffer);
    yield cipher.update(chunk as Buffer);
  }
  yield Buffer.concat([cipher.final(), cipher.getAuthTag()]);
}

/**
 * Export: the cached bytes must still hash to the signed SHA-256; in the same read they
 * are encrypted once to learn the ciphertext's size and SHA-256 for the manifest, which
 * is signed before any byte is sent. Transfer then encrypts again with the same key and
 * IV into the wire (same plaintext, same ciphertext; no second message under that IV),
 * so no ciphertext is ever written to the sender's disk.
 */
export async function measureSealed(
  input: SealInput & { expected: { sha256: string; size: number } },
): Promise<SealedFile> {
  const plainHash = crypto.createHash('sha256');
  const cipherHash = crypto.createHash('sha256');
  let plainSize = 0;
  let cipherSize = 0;
  for await (const out of sealedStream(input, (chunk) => {
    plainHash.update(chunk);
    plainSize += chunk.length;
  })) {
    cipherHash.update(out);
    cipherSize += out.length;
  }
  const plaintext = { sha256: plainHash.digest('hex'), size: plainSize };
  if (
    plaintext.size !== input.expected.size ||
    !digestsEqual(plaintext.sha256, input.expected.sha256)
  ) {
    throw new VmicError(
      'HASH_MISMATCH',
      `cached bytes hash to ${plaintext.sha256} (${plaintext.size} bytes), not the signed ${input.expected.sha256}`,
    );
  }
  return { plaintext, ciphertext: { sha256: cipherHash.digest('hex'), size: cipherSize } };
}

/**
 * Decrypts a ciphertext stream into `to`, checking the ciphertext's size and SHA-256 and
 * the GCM tag, then the plaintext's size and SHA-256. Plaintext written before the tag is
 * checked is unauthenticated: it stays in a temporary file that the caller removes on any
 * failure and moves into the cache only on success.
 */
export async function openStream(input: {
  source: AsyncIterable<Buffer>;
  to: string;
  key: Uint8Array;
  iv: Uint8Array;
  aad: string;
  ciphertext: { sha256: string; size: number };
  plaintext: { sha256: string; size: number };
}): Promise<void> {
  const decipher = crypto.createDecipheriv('aes-256-gcm', input.key, input.iv);
  decipher.setAAD(Buffer.from(input.aad, 'utf8'));
  const cipherHash = crypto.createHash('sha256');
  const plainHash = crypto.createHash('sha256');
  let received = 0;
  let plainSize = 0;
  let held = Buffer.alloc(0);
  async function* decrypt() {
    for await (const chunk of input.source) {
      received += chunk.length;
      if (received > input.ciphertext.size)
        throw new VmicError('CIPHERTEXT_INVALID', 'more ciphertext than the manifest names', {
          rule: 'ciphertext.size',
        });
      cipherHash.update(chunk);
      // Keep the last 16 bytes back: they are the tag, known only at the end. Large
      // chunks are not copied (only the held-back bytes are), to keep memory churn low.
      const parts: Buffer[] = [];
      if (chunk.length >= GCM_TAG_BYTES) {
        if (held.length) parts.push(held);
        parts.push(chunk.subarray(0, chunk.length - GCM_TAG_BYTES));
        held = Buffer.from(chunk.subarray(chunk.length - GCM_TAG_BYTES));
      } else {
        const all = Buffer.concat([held, chunk]);
        const cut = Math.max(0, all.length - GCM_TAG_BYTES);
        parts.push(all.subarray(0, cut));
        held = Buffer.from(all.subarray(cut));
      }
      for (const part of parts) {
        if (part.length === 0) continue;
        const out = decipher.update(part);
        plainHash.update(out);
        plainSize += out.length;
        yield out;
      }
    }
    if (received !== input.ciphertext.size)
      throw new VmicError(
        'CIPHERTEXT_INVALID',
        `transfer ended after ${received} of ${input.ciphertext.size} ciphertext bytes`,
        { rule: 'ciphertext.size' },
      );
    if (!digestsEqual(cipherHash.digest('hex'), input.ciphertext.sha256))
      throw new VmicError(
        'CIPHERTEXT_INVALID',
        'ciphertext does not match the SHA-256 in the manifest',
        { rule: 'ciphertext.sha256' },
      );
    decipher.setAuthTag(held);
    let last: Buffer;
    try {
      last = decipher.final();
    } catch (e) {
      throw new VmicError('CIPHERTEXT_INVALID', 'ciphertext fails authentication (AES-GCM tag)', {
        rule: 'gcm.tag',
        cause: e,
      });
    }
    plainHash.update(last);
    plainSize += last.length;
    yield last;
  }
  const sink = fs.createWriteStream(input.to, {
    flags: 'wx',
    mode: 0o600,
    highWaterMark: WRITE_BUFFER_BYTES,
  });
  try {
    await pipeline(decrypt, sink);
  } catch (e) {
    // The caller removes `to` on failure: only once no late open can create it again.
    await writeStreamClosed(sink);
    throw e;
  }
  if (
    plainSize !== input.plaintext.size ||
    !digestsEqual(plainHash.digest('hex'), input.plaintext.sha256)
  ) {
    throw new VmicError('HASH_MISMATCH', 'decrypted bytes do not match the signed SHA-256');
  }
}
