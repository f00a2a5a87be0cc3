import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  checkpointText,
  cosignatureLine,
  cosignerFromSeed,
  cosignerKeyText,
  openNote,
  parseCosignerKey,
  signNote,
  signerFromSeed,
  verifierKeyText,
  verifyCosignatures,
  TlogError,
} from '../../tlog/index.ts';
import { tool } from '../helpers/outside-tools.ts';

/*
 * C2SP tlog-cosignature v1: vmic's cosignatures round-trip, are refused when altered, are
 * never taken for a log's own signature, and agree with Python `cryptography`'s Ed25519
 * (an implementation that is not ours) in both directions.
 */
const ORIGIN = 'log.example/cosig';
const log = signerFromSeed(ORIGIN, randomBytes(32));
const seed = randomBytes(32);
const witness = cosignerFromSeed('witness.example/w', seed);
const body = (size: number, root: Uint8Array = Buffer.alloc(32, size)) =>
  checkpointText({ origin: ORIGIN, size, root, extensions: [] });
const BODY = body(5);
const NOTE = signNote(BODY, [log]);
const T = Math.floor(Date.now() / 1000);
const at = (seconds: number) => new Date(seconds * 1000);
const refusal = (reason: string, message: RegExp) => (e: unknown) =>
  e instanceof TlogError && e.reason === reason && message.test(e.message);

/** A vkey's name, hash and key: the base64 key may itself hold `+`. */
function vkeyParts(vkey: string): [string, string, string] {
  const m = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey);
  assert.ok(m, vkey);
  return [m[1]!, m[2]!, m[3]!];
}

/** The line with its base64 blob changed by `f`. */
function alterBlob(line: string, f: (blob: Buffer) => Buffer): string {
  const [dash, name, b64] = line.trimEnd().split(' ') as [string, string, string];
  return `${dash} ${name} ${f(Buffer.from(b64, 'base64')).toString('base64')}\n`;
}

test('a cosignature line verifies with its key, read back from the key text, and gives its time', () => {
  const vkey = cosignerKeyText(witness);
  assert.match(vkey, /^witness\.example\/w\+[0-9a-f]{8}\+B[A-Za-z0-9+/]{43}$/);
  const raw = Buffer.from(vkeyParts(vkey)[2], 'base64').subarray(1);
  const expected = createHash('sha256')
    .update(Buffer.concat([Buffer.from('witness.example/w\n'), Buffer.of(0x04), raw]))
    .digest()
    .readUInt32BE(0);
  assert.equal(witness.keyHash, expected, 'key hash over name, newline, 0x04 and the key');
  assert.notEqual(witness.keyHash, signerFromSeed('witness.example/w', seed).keyHash);
  const parsed = parseCosignerKey(vkey);
  assert.equal(cosignerKeyText(parsed), vkey);
  assert.equal(parsed.keyHash, witness.keyHash);

  const line = cosignatureLine(BODY, witness, T);
  assert.match(line, /^\u2014 witness\.example\/w [A-Za-z0-9+/]{102}==\n$/u);
  const blob = Buffer.from(line.trimEnd().split(' ')[2]!, 'base64');
  assert.equal(blob.length, 4 + 8 + 64);
  assert.equal(blob.readUInt32BE(0), witness.keyHash);
  assert.equal(blob.readBigUInt64BE(4), BigInt(T));
  const found = verifyCosignatures(NOTE + line, [parsed], at(T));
  assert.equal(found.length, 1);
  assert.equal(found[0]!.by, parsed);
  assert.equal(found[0]!.time, T);
  // The log's own line is left alone; the note still opens with the log key.
  assert.equal(openNote(NOTE + line, [log]).text, BODY);
});

test('a log key, a wrong hash, a flipped byte, another body or a future date is refused', () => {
  const key = parseCosignerKey(cosignerKeyText(witness));
  const logKey = verifierKeyText(signerFromSeed('witness.example/w', seed));
  assert.throws(() => parseCosignerKey(logKey), refusal('malformed-key', /algorithm 0x04/));
  const [name, hash, b64] = vkeyParts(cosignerKeyText(witness));
  const otherHash = ((parseInt(hash, 16) ^ 1) >>> 0).toString(16).padStart(8, '0');
  assert.throws(
    () => parseCosignerKey(`${name}+${otherHash}+${b64}`),
    refusal('malformed-key', /hash does not match/),
  );

  const line = cosignatureLine(BODY, witness, T);
  const flipped = alterBlob(line, (b) => {
    b[b.length - 1]! ^= 0x01;
    return b;
  });
  assert.throws(
    () => verifyCosignatures(NOTE + flipped, [key], at(T)),
    refusal('bad-signature', /witness\.example\/w does not verify/),
  );
  const otherBody = cosignatureLine(body(6), witness, T);
  assert.throws(
    () => verifyCosignatures(NOTE + otherBody, [key], at(T)),
    refusal('bad-signature', /does not verify/),
  );
  const retimed = alterBlob(line, (b) => {
    b.writeBigUInt64BE(BigInt(T + 1), 4);
    return b;
  });
  assert.throws(() => verifyCosignatures(NOTE + retimed, [key], at(T)), /does not verify/);

  // Dated 300 s after now is accepted; 301 s is refused.
  assert.equal(verifyCosignatures(NOTE + line, [key], at(T - 300)).length, 1);
  assert.throws(
    () => verifyCosignatures(NOTE + line, [key], at(T - 301)),
    refusal('bad-signature', /dated in the future/),
  );
});

test('lines by keys not asked for are ignored', () => {
  const other = cosignerFromSeed('witness.example/other', randomBytes(32));
  const sameName = cosignerFromSeed('witness.example/w', randomBytes(32));
  const note = NOTE + cosignatureLine(BODY, witness, T);
  assert.deepEqual(verifyCosignatures(note, [other, sameName], at(T)), []);
  assert.deepEqual(verifyCosignatures(NOTE, [witness], at(T)), []);
  assert.equal(verifyCosignatures(note, [other, witness], at(T)).length, 1);
});

test('a cosignature is not taken for the log signature of a key with the same name and seed', () => {
  const asLog = signerFromSeed('witness.example/w', seed);
  const line = cosignatureLine(BODY, witness, T);
  const onlyCosigned = `${BODY}\n${line}`;
  assert.throws(() => openNote(onlyCosigned, [asLog]), refusal('unknown-key', /no signature/));
  // Relabelled with the log key's hash, the 72-byte blob still is no log signature.
  const relabelled = alterBlob(line, (b) => {
    b.writeUInt32BE(asLog.keyHash, 0);
    return b;
  });
  assert.throws(
    () => openNote(`${BODY}\n${relabelled}`, [asLog]),
    refusal('bad-signature', /does not verify/),
  );
  // And back: a log signature relabelled with the cosigner's hash is no cosignature.
  const logLine = signNote(BODY, [asLog]).split('\n\n')[1]!;
  const asCosig = alterBlob(logLine, (b) => {
    b.writeUInt32BE(witness.keyHash, 0);
    return b;
  });
  assert.throws(
    () => verifyCosignatures(NOTE + asCosig, [witness], at(T)),
    refusal('bad-signature', /not 72 bytes/),
  );
});

/** Python `cryptography`: verifies a cosigned note from a vkey, or cosigns bodies with a fresh key. */
const PY = String.raw`
import base64, hashlib, sys, time
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

def need(ok, why):
    if not ok:
        sys.exit("refused: " + why)

def keyhash(name, key):
    return hashlib.sha256(name.encode() + b"\n" + key).digest()[:4]

def message(body, t):
    return b"cosignature/v1\ntime %d\n" % t + body.encode()

if sys.argv[1] == "verify":
    vkey, note = sys.argv[2], sys.argv[3]
    name, rest = vkey.split("+", 1)
    h, b64 = rest[:8], rest[9:]
    need(rest[8:9] == "+", "not name+hash+key")
    key = base64.b64decode(b64, validate=True)
    need(len(key) == 33 and key[0] == 4, "not an Ed25519 cosignature/v1 key")
    need(keyhash(name, key).hex() == h, "the key hash does not match")
    i = note.rindex("\n\n")
    body, lines = note[: i + 1], note[i + 2 :].splitlines()
    blobs = [base64.b64decode(l.split(" ")[2]) for l in lines if l.startswith("\u2014 " + name + " ")]
    blobs = [b for b in blobs if b[:4] == keyhash(name, key)]
    need(len(blobs) == 1 and len(blobs[0]) == 76, "no cosignature line of this key")
    t = int.from_bytes(blobs[0][4:12], "big")
    Ed25519PublicKey.from_public_bytes(key[1:]).verify(blobs[0][12:], message(body, t))
    print(t)
else:
    name, bodies = sys.argv[2], sys.argv[3:]
    k = Ed25519PrivateKey.generate()
    key = b"\x04" + k.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    t = int(time.time())
    print(name + "+" + keyhash(name, key).hex() + "+" + base64.b64encode(key).decode())
    for body in bodies:
        blob = keyhash(name, key) + t.to_bytes(8, "big") + k.sign(message(body, t))
        print("\u2014 " + name + " " + base64.b64encode(blob).decode())
`;
const python = (args: string[]) => tool('/usr/bin/python3', ['-c', PY, ...args]);

test('Python cryptography verifies a vmic cosignature from the vkey text alone', async () => {
  const vkey = cosignerKeyText(witness);
  const note = NOTE + cosignatureLine(BODY, witness, T);
  const ok = await python(['verify', vkey, note]);
  assert.ok(ok.ok, ok.stderr);
  assert.equal(ok.stdout, `${T}\n`);
  // The same script refuses another body, and a vkey whose hash is wrong.
  const moved = await python(['verify', vkey, note.replace(`\n5\n`, `\n6\n`)]);
  assert.equal(moved.ok, false);
  assert.match(moved.stderr, /InvalidSignature/);
  const [name, hash, b64] = vkeyParts(vkey);
  const badHash = `${name}+${hash.startsWith('0') ? '1' : '0'}${hash.slice(1)}+${b64}`;
  const refused = await python(['verify', badHash, note]);
  assert.equal(refused.ok, false);
  assert.match(refused.stderr, /the key hash does not match/);
});

test('vmic accepts a cosignature made by Python, and refuses one over another body', async () => {
  const made = await python(['sign', 'py.example/witness', BODY, body(6)]);
  assert.ok(made.ok, made.stderr);
  const [vkey, line, otherLine] = made.stdout.trimEnd().split('\n') as [string, string, string];
  const key = parseCosignerKey(vkey);
  assert.equal(key.name, 'py.example/witness');
  const now = new Date();
  const found = verifyCosignatures(`${NOTE}${line}\n`, [key], now);
  assert.equal(found.length, 1);
  assert.equal(found[0]!.by, key);
  assert.ok(Math.abs(found[0]!.time - now.getTime() / 1000) < 60, 'the time Python signed');
  assert.throws(
    () => verifyCosignatures(`${NOTE}${otherLine}\n`, [key], now),
    refusal('bad-signature', /py\.example\/witness does not verify/),
  );
  // Python's line over body(6) does verify on that body: it is the body that differs.
  const six = signNote(body(6), [log]);
  assert.equal(verifyCosignatures(`${six}${otherLine}\n`, [key], now).length, 1);
});
