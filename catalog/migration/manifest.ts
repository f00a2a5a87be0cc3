import { VmicError } from '../../errors/index.ts';
import { SHA256_HEX } from '../blobs/digest.ts';
import { chunkCount, STREAM_CHUNK_BYTES } from './chunked-aead.ts';

/**
 * The signed statement that travels with every transfer (docs/design.md §8). The sender signs
 * it (CMS, like catalogs); the receiver trusts nothing in a transfer that it does not name.
 *
 * Version 2: the image travels as a stream of authenticated chunks (chunked-aead.ts). The
 * chunk size, the number of chunks, the plaintext's size and SHA-256 and the stream salt
 * are all under the signature, so a receiver knows before the first byte how many chunks
 * end the stream and what the whole must hash to (threat: a truncated or extended stream,
 * or a stream re-keyed under another salt, passing as complete).
 */
export const MANIFEST_VERSION = 2;

export interface TransferManifest {
  version: 2;
  migrationId: string;
  image: { identifier: string; endorser: string; endorserSubject: string; title: string };
  plaintext: { sha256: string; size: number };
  /** STREAM of AES-256-GCM chunks under HKDF-SHA-256(data key, salt): chunked-aead.ts. */
  stream: { enc: 'A256GCM-STREAM1'; chunkBytes: number; chunks: number; salt: string };
  /** Subject DN of the receiving site: a bundle for one site is refused by every other. */
  receiver: string;
  sender: string;
  /** Random, single use: the receiver refuses a nonce it has seen (replay). */
  nonce: string;
  createdAt: string;
  /** The data key, wrapped for the receiver's certificate key as a compact JWE. */
  wrappedKey: string;
}

/**
 * Chunk sizes a receiver accepts: it holds one sealed chunk in memory, so the bound is a
 * memory bound (threat: a manifest naming a 4 GiB "chunk" to make the receiver buffer it).
 */
export const MIN_CHUNK_BYTES = 64 * 1024;
export const MAX_CHUNK_BYTES = 16 * 1024 * 1024;
export { STREAM_CHUNK_BYTES };

export function encodeManifest(m: TransferManifest): Uint8Array {
  return Buffer.from(JSON.stringify(m), 'utf8');
}

/** Copies the signed JSON into a checked shape; anything unexpected is MALFORMED. */
export function parseManifest(bytes: Uint8Array): TransferManifest {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new VmicError('MALFORMED', 'manifest is not JSON', { cause: e, rule: 'manifest' });
  }
  const o = obj(v, 'manifest');
  if (o.version !== MANIFEST_VERSION)
    throw new VmicError(
      'MALFORMED',
      `transfer manifest version ${String(o.version)} is not read by this site (only version ${MANIFEST_VERSION}); ask the sender to export again with a current vmic`,
      { rule: 'manifest.version' },
    );
  const image = obj(o.image, 'image');
  const plaintext = obj(o.plaintext, 'plaintext');
  const stream = obj(o.stream, 'stream');
  if (stream.enc !== 'A256GCM-STREAM1') throw bad('stream.enc');
  const m: TransferManifest = {
    version: 2,
    migrationId: str(o.migrationId, 'migrationId', /^[0-9a-f-]{36}$/),
    image: {
      identifier: str(image.identifier, 'image.identifier'),
      endorser: str(image.endorser, 'image.endorser'),
      endorserSubject: str(image.endorserSubject, 'image.endorserSubject'),
      title: str(image.title, 'image.title'),
    },
    plaintext: {
      sha256: str(plaintext.sha256, 'plaintext.sha256', SHA256_HEX),
      size: size(plaintext.size, 'plaintext.size'),
    },
    stream: {
      enc: 'A256GCM-STREAM1',
      chunkBytes: size(stream.chunkBytes, 'stream.chunkBytes'),
      chunks: size(stream.chunks, 'stream.chunks'),
      // 16 random bytes, base64url without padding.
      salt: str(stream.salt, 'stream.salt', /^[A-Za-z0-9_-]{22}$/),
    },
    receiver: str(o.receiver, 'receiver'),
    sender: str(o.sender, 'sender'),
    nonce: str(o.nonce, 'nonce', /^[A-Za-z0-9_-]{43}$/),
    createdAt: str(o.createdAt, 'createdAt'),
    wrappedKey: str(o.wrappedKey, 'wrappedKey', /^[A-Za-z0-9_.-]{1,8192}$/),
  };
  if (Number.isNaN(Date.parse(m.createdAt))) throw bad('createdAt');
  if (m.stream.chunkBytes < MIN_CHUNK_BYTES || m.stream.chunkBytes > MAX_CHUNK_BYTES)
    throw bad('stream.chunkBytes');
  if (m.stream.chunks !== chunkCount(m.plaintext.size, m.stream.chunkBytes))
    throw bad('stream.chunks');
  return m;
}

function bad(field: string): VmicError {
  return new VmicError('MALFORMED', `manifest field ${field} is missing or invalid`, {
    rule: `manifest.${field}`,
  });
}

function obj(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(field);
  return v as Record<string, unknown>;
}

function str(v: unknown, field: string, pattern?: RegExp): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 8192 || (pattern && !pattern.test(v)))
    throw bad(field);
  return v;
}

function size(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(field);
  return v;
}
