import crypto from 'node:crypto';
import { VmicError } from '../../errors/index.ts';

const VERSION = 1;

/**
 * AES-256-GCM sealing of secrets at rest. The associated data binds a sealed key to the
 * record it belongs to (threat: swapping sealed blobs between endorsers in the database).
 * Layout: version(1) | iv(12) | tag(16) | ciphertext.
 */
export function seal(key: Buffer, plaintext: Uint8Array, associatedData: string): Buffer {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

export function open(key: Buffer, sealed: Uint8Array, associatedData: string): Buffer {
  const buf = Buffer.from(sealed);
  if (buf.length < 29 || buf[0] !== VERSION) {
    throw new VmicError('MALFORMED', 'sealed secret has an unknown layout');
  }
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, buf.subarray(1, 13));
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(buf.subarray(13, 29));
  try {
    return Buffer.concat([decipher.update(buf.subarray(29)), decipher.final()]);
  } catch (e) {
    throw new VmicError('CONFIG', 'sealed secret cannot be opened: wrong master key?', {
      cause: e,
    });
  }
}
