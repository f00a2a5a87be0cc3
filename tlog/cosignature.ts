import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { TlogError } from './errors.ts';
import {
  isKeyName,
  keyHash,
  parseNote,
  signerFromKey,
  signerFromSeed,
  type NoteSigner,
  type NoteVerifier,
} from './note.ts';

/**
 * C2SP tlog-cosignature v1 with Ed25519 (https://c2sp.org/tlog-cosignature): a witness's
 * statement that, as of `time`, the checkpoint is the largest consistent tree it has seen
 * of that log. The signed message is
 *
 *   cosignature/v1\ntime <seconds>\n<checkpoint body>
 *
 * and the signature line carries the 8-byte big-endian timestamp before the 64-byte
 * signature. The key hash uses algorithm byte 0x04, so that a witness key is never taken
 * for a log key (threat: a cosignature replayed as the log's own signature, or back).
 */
const ALG_COSIGNATURE_V1 = 0x04;
const EM_DASH = '\u2014';

export type CosignerKey = NoteVerifier;
export type Cosigner = NoteSigner;

export interface Cosignature {
  /** The witness that cosigned. */
  by: CosignerKey;
  /** When it cosigned (POSIX seconds). */
  time: number;
}

function message(body: string, time: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${time}\n${body}`, 'utf8');
}

/** A cosigner from a 32-byte Ed25519 seed; its key hash is that of a v1 cosigner. */
export function cosignerFromSeed(name: string, seed: Uint8Array): Cosigner {
  const s = signerFromSeed(name, seed);
  return { ...s, keyHash: keyHash(name, rawPublic(s), ALG_COSIGNATURE_V1) };
}

/** A cosigner from its Ed25519 public key and a function signing with its private half. */
export function cosignerFromKey(
  name: string,
  publicKey: KeyObject,
  sign: (message: Uint8Array) => Buffer,
): Cosigner {
  const s = signerFromKey(name, publicKey, sign);
  return { ...s, keyHash: keyHash(name, rawPublic(s), ALG_COSIGNATURE_V1) };
}

function rawPublic(v: NoteVerifier): Buffer {
  return Buffer.from(v.publicKey.export({ format: 'jwk' }).x!, 'base64url');
}

/** `name+hash+base64(0x04 || key)`: a cosigner's verifier key (vkey). */
export function cosignerKeyText(v: CosignerKey): string {
  const key = Buffer.concat([Uint8Array.of(ALG_COSIGNATURE_V1), rawPublic(v)]);
  return `${v.name}+${v.keyHash.toString(16).padStart(8, '0')}+${key.toString('base64')}`;
}

/** Parses a cosigner's verifier key; a log key (algorithm 0x01) is refused. */
export function parseCosignerKey(text: string): CosignerKey {
  const bad = (why: string) => new TlogError('malformed-key', `witness key: ${why}`);
  const m = /^([^+]+)\+([0-9a-f]{8})\+(.*)$/s.exec(text.trim());
  if (!m) throw bad('expected name+hash+key');
  const [, name, hash, b64] = m as unknown as [string, string, string, string];
  if (!isKeyName(name)) throw bad('bad name');
  const key = Buffer.from(b64, 'base64');
  if (key.toString('base64') !== b64) throw bad('the key is not canonical base64');
  if (key.length !== 33 || key[0] !== ALG_COSIGNATURE_V1)
    throw bad('not an Ed25519 cosignature/v1 key (algorithm 0x04)');
  const raw = key.subarray(1);
  const h = keyHash(name, raw, ALG_COSIGNATURE_V1);
  if (h !== parseInt(hash, 16)) throw bad('the hash does not match the name and key');
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
    format: 'jwk',
  });
  return { name, keyHash: h, publicKey };
}

/** One cosignature line over a checkpoint body (the note's text, ending in a newline). */
export function cosignatureLine(body: string, cosigner: Cosigner, time: number): string {
  if (!Number.isSafeInteger(time) || time < 0)
    throw new TlogError('malformed-note', 'a cosignature time is a POSIX second count');
  const sig = cosigner.sign(message(body, time));
  const blob = Buffer.alloc(4 + 8 + sig.length);
  blob.writeUInt32BE(cosigner.keyHash, 0);
  blob.writeBigUInt64BE(BigInt(time), 4);
  sig.copy(blob, 12);
  return `${EM_DASH} ${cosigner.name} ${blob.toString('base64')}\n`;
}

/**
 * The cosignatures on a note by `witnesses`, each checked; lines by other keys are
 * ignored. A line of a named witness that does not verify, or is dated more than
 * `maxFutureSeconds` after `now`, refuses the note (threat: a forged or pre-dated
 * cosignature counted towards a quorum).
 */
export function verifyCosignatures(
  note: string | Uint8Array,
  witnesses: readonly CosignerKey[],
  now: Date,
  maxFutureSeconds = 300,
): Cosignature[] {
  const { text, signatures } = parseNote(note);
  const found: Cosignature[] = [];
  for (const s of signatures) {
    const w = witnesses.find((k) => k.name === s.name && k.keyHash === s.keyHash);
    if (!w) continue;
    if (s.signature.length !== 8 + 64)
      throw new TlogError('bad-signature', `the cosignature by ${w.name} is not 72 bytes`);
    const t = Buffer.from(s.signature).readBigUInt64BE(0);
    if (t > BigInt(Number.MAX_SAFE_INTEGER))
      throw new TlogError('bad-signature', `the cosignature by ${w.name} has no usable time`);
    const time = Number(t);
    if (!verify(null, message(text, time), w.publicKey, s.signature.subarray(8)))
      throw new TlogError('bad-signature', `the cosignature by ${w.name} does not verify`);
    if (time > now.getTime() / 1000 + maxFutureSeconds)
      throw new TlogError('bad-signature', `the cosignature by ${w.name} is dated in the future`);
    if (!found.some((f) => f.by === w)) found.push({ by: w, time });
  }
  return found;
}

/** Adds signature lines to a note, skipping lines it already holds. */
export function addSignatureLines(note: string, lines: string): string {
  const held = new Set(note.split('\n'));
  const add = lines.split('\n').filter((l) => l.startsWith(`${EM_DASH} `) && !held.has(l));
  return add.length ? `${note}${add.map((l) => `${l}\n`).join('')}` : note;
}
