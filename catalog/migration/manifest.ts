import { VmicError } from '../../errors/index.ts';
import { SHA256_HEX } from '../blobs/digest.ts';

/**
 * The signed statement that travels with every transfer (docs/design.md §8). The sender signs
 * it (CMS, like catalogs); the receiver trusts nothing in a transfer that it does not name.
 */
export interface TransferManifest {
  version: 1;
  migrationId: string;
  image: { identifier: string; endorser: string; endorserSubject: string; title: string };
  plaintext: { sha256: string; size: number };
  /** AES-256-GCM; the 16-byte tag follows the ciphertext; AAD is the migration id. */
  ciphertext: { sha256: string; size: number; enc: 'A256GCM'; iv: string };
  /** Subject DN of the receiving site: a bundle for one site is refused by every other. */
  receiver: string;
  sender: string;
  /** Random, single use: the receiver refuses a nonce it has seen (replay). */
  nonce: string;
  createdAt: string;
  /** The data key, wrapped for the receiver's certificate key as a compact JWE. */
  wrappedKey: string;
}

export const GCM_TAG_BYTES = 16;

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
  if (o.version !== 1) throw bad('version');
  const image = obj(o.image, 'image');
  const plaintext = obj(o.plaintext, 'plaintext');
  const ciphertext = obj(o.ciphertext, 'ciphertext');
  if (ciphertext.enc !== 'A256GCM') throw bad('ciphertext.enc');
  const m: TransferManifest = {
    version: 1,
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
    ciphertext: {
      sha256: str(ciphertext.sha256, 'ciphertext.sha256', SHA256_HEX),
      size: size(ciphertext.size, 'ciphertext.size'),
      enc: 'A256GCM',
      iv: str(ciphertext.iv, 'ciphertext.iv', /^[A-Za-z0-9_-]{16}$/),
    },
    receiver: str(o.receiver, 'receiver'),
    sender: str(o.sender, 'sender'),
    nonce: str(o.nonce, 'nonce', /^[A-Za-z0-9_-]{43}$/),
    createdAt: str(o.createdAt, 'createdAt'),
    wrappedKey: str(o.wrappedKey, 'wrappedKey', /^[A-Za-z0-9_.-]{1,8192}$/),
  };
  if (Number.isNaN(Date.parse(m.createdAt))) throw bad('createdAt');
  if (m.ciphertext.size !== m.plaintext.size + GCM_TAG_BYTES) throw bad('ciphertext.size');
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
