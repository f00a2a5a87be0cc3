import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign as ed25519Sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { TlogError } from './errors.ts';

/**
 * C2SP signed-note (https://c2sp.org/signed-note) with Ed25519 keys, the format of Go's
 * checksum database, tlog checkpoints and their witnesses' cosignatures:
 *
 *   <text, UTF-8, ending in a newline>
 *   <empty line>
 *   — <key name> <base64(key hash (4 bytes) || signature)>
 *   ...
 *
 * A key is named by `name` and its 4-byte hash: the first bytes of
 * SHA-256(name || "\n" || 0x01 || public key). A verifier key is written
 * `name+hash(8 hex)+base64(0x01 || public key)`.
 */
const ALG_ED25519 = 0x01;
const EM_DASH = '\u2014';
/** Bounds on what is parsed (threat: a huge or signature-stuffed note from a peer). */
export const MAX_NOTE_BYTES = 1024 * 1024;
const MAX_SIGNATURES = 100;

export interface NoteVerifier {
  name: string;
  keyHash: number;
  publicKey: KeyObject;
}

/**
 * A key that signs notes. The private key is behind `sign`, not a field: it may be a seed
 * in this process or a key in a PKCS#11 token that never leaves it (threat: a copied
 * database or memory dump yielding the log key). Synchronous, as note signing is.
 */
export interface NoteSigner extends NoteVerifier {
  /** The Ed25519 signature (64 bytes) of `message`. */
  sign(message: Uint8Array): Buffer;
}

export interface NoteSignature {
  name: string;
  keyHash: number;
  /** The 64-byte signature, or a cosignature's timestamp and signature. */
  signature: Uint8Array;
}

/** A key name: non-empty, no white space, no `+` (it separates the verifier key's parts). */
export function isKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name) && !/\p{Cc}/u.test(name);
}

export function keyHash(name: string, publicKey: Uint8Array, alg = ALG_ED25519): number {
  const h = createHash('sha256')
    .update(name)
    .update('\n')
    .update(Uint8Array.of(alg))
    .update(publicKey)
    .digest();
  return h.readUInt32BE(0);
}

function rawPublic(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  return Buffer.from(jwk.x!, 'base64url');
}

/** A signer from a 32-byte Ed25519 seed. */
export function signerFromSeed(name: string, seed: Uint8Array): NoteSigner {
  if (!isKeyName(name))
    throw new TlogError('malformed-key', `not a key name: ${JSON.stringify(name)}`);
  if (seed.length !== 32) throw new TlogError('malformed-key', 'an Ed25519 seed is 32 bytes');
  const privateKey = createPrivateKey({
    key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
    format: 'der',
    type: 'pkcs8',
  });
  return signerFromKey(name, createPublicKey(privateKey), (m) => ed25519Sign(null, m, privateKey));
}

/**
 * A signer from its Ed25519 public key and a function signing with its private half (a
 * token key: catalog/secrets/pkcs11-eddsa.ts). Each signature is checked to be 64 bytes
 * (threat: a token answering with another scheme's signature, published as the log's).
 */
export function signerFromKey(
  name: string,
  publicKey: KeyObject,
  sign: (message: Uint8Array) => Buffer,
): NoteSigner {
  if (!isKeyName(name))
    throw new TlogError('malformed-key', `not a key name: ${JSON.stringify(name)}`);
  if (publicKey.type !== 'public' || publicKey.asymmetricKeyType !== 'ed25519')
    throw new TlogError('malformed-key', 'a note key is an Ed25519 public key');
  const checked = (message: Uint8Array): Buffer => {
    const sig = sign(message);
    if (sig.length !== 64)
      throw new TlogError('bad-signature', `the key ${name} made a signature that is not Ed25519`);
    return sig;
  };
  return { name, keyHash: keyHash(name, rawPublic(publicKey)), publicKey, sign: checked };
}

/** `name+hash+base64(0x01 || key)`. */
export function verifierKeyText(v: NoteVerifier): string {
  const key = Buffer.concat([Uint8Array.of(ALG_ED25519), rawPublic(v.publicKey)]);
  return `${v.name}+${v.keyHash.toString(16).padStart(8, '0')}+${key.toString('base64')}`;
}

/** Parses a verifier key; the hash must be the one its name and key give. */
export function parseVerifierKey(text: string): NoteVerifier {
  const bad = (why: string) => new TlogError('malformed-key', `verifier key: ${why}`);
  // The key's base64 may itself hold `+`: the name ends at the first, the hash is 8 digits.
  const m = /^([^+]+)\+([^+]*)\+(.*)$/s.exec(text.trim());
  if (!m) throw bad('expected name+hash+key');
  const [, name, hash, b64] = m as unknown as [string, string, string, string];
  if (!isKeyName(name)) throw bad('bad name');
  if (!/^[0-9a-f]{8}$/.test(hash)) throw bad('the hash is not 8 lowercase hex digits');
  const key = Buffer.from(b64, 'base64');
  if (key.toString('base64') !== b64) throw bad('the key is not canonical base64');
  if (key.length !== 33 || key[0] !== ALG_ED25519) throw bad('not an Ed25519 key');
  const raw = key.subarray(1);
  const h = keyHash(name, raw);
  if (h !== parseInt(hash, 16)) throw bad('the hash does not match the name and key');
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
  return { name, keyHash: h, publicKey };
}

/** One signature line for `text` (which must end with a newline). */
export function signatureLine(text: string, signer: NoteSigner): string {
  checkText(text);
  const sig = signer.sign(Buffer.from(text, 'utf8'));
  const blob = Buffer.alloc(4 + sig.length);
  blob.writeUInt32BE(signer.keyHash, 0);
  sig.copy(blob, 4);
  return `${EM_DASH} ${signer.name} ${blob.toString('base64')}\n`;
}

/** The signed note: text, an empty line, one signature line per signer. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  return `${text}\n${signers.map((s) => signatureLine(text, s)).join('')}`;
}

function checkText(text: string): void {
  if (!text.endsWith('\n'))
    throw new TlogError('malformed-note', 'the text must end with a newline');
  if (text.includes('\n\n')) throw new TlogError('malformed-note', 'the text holds an empty line');
}

/** A note split into its text and signature lines, none verified yet. */
export function parseNote(note: string | Uint8Array): {
  text: string;
  signatures: NoteSignature[];
} {
  const bad = (why: string) => new TlogError('malformed-note', why);
  const bytes = typeof note === 'string' ? Buffer.from(note, 'utf8') : Buffer.from(note);
  if (bytes.length > MAX_NOTE_BYTES) throw bad(`longer than ${MAX_NOTE_BYTES} bytes`);
  const s = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  const split = s.lastIndexOf('\n\n');
  if (split < 0) throw bad('no empty line before the signatures');
  const text = s.slice(0, split + 1);
  if (text.includes('\n\n')) throw bad('the text holds an empty line');
  const sigs = s.slice(split + 2);
  if (!sigs.endsWith('\n')) throw bad('the signatures do not end with a newline');
  const lines = sigs.slice(0, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) throw bad(`more than ${MAX_SIGNATURES} signatures`);
  const signatures = lines.map((line) => {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
    if (!m || !isKeyName(m[1]!))
      throw bad(`not a signature line: ${JSON.stringify(line.slice(0, 80))}`);
    const blob = Buffer.from(m[2]!, 'base64');
    if (blob.length < 5 || blob.toString('base64') !== m[2])
      throw bad('a signature is not base64 of a key hash and a signature');
    return { name: m[1]!, keyHash: blob.readUInt32BE(0), signature: blob.subarray(4) };
  });
  return { text, signatures };
}

/**
 * Opens a note: the text, once a signature by one of `verifiers` checks. A signature line
 * naming a known key that does not verify refuses the whole note (threat: a note that a
 * wrong signature of the pinned key should have stopped, passed because another matched).
 * Lines by unknown keys are kept, for the caller's cosignature counting.
 */
export function openNote(
  note: string | Uint8Array,
  verifiers: readonly NoteVerifier[],
): { text: string; verifiedBy: NoteVerifier[]; signatures: NoteSignature[] } {
  const { text, signatures } = parseNote(note);
  const verifiedBy: NoteVerifier[] = [];
  for (const s of signatures) {
    const v = verifiers.find((k) => k.name === s.name && k.keyHash === s.keyHash);
    if (!v) continue;
    if (
      s.signature.length !== 64 ||
      !verify(null, Buffer.from(text, 'utf8'), v.publicKey, s.signature)
    )
      throw new TlogError('bad-signature', `the signature by ${v.name} does not verify`);
    if (!verifiedBy.includes(v)) verifiedBy.push(v);
  }
  if (verifiedBy.length === 0)
    throw new TlogError(
      'unknown-key',
      `no signature by ${verifiers.map((v) => v.name).join(', ') || 'a known key'}`,
    );
  return { text, verifiedBy, signatures };
}
