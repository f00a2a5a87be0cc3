import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import {
  checkpointText,
  openNote,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  signNote,
  signerFromSeed,
  verifierKeyText,
  MAX_NOTE_BYTES,
  TlogError,
} from '../../tlog/index.ts';

const log = signerFromSeed('vmic.example/log', randomBytes(32));
const witness = signerFromSeed('witness.example', randomBytes(32));
const TEXT = 'vmic.example/log\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n';
const reason = (r: string) => (e: unknown) => e instanceof TlogError && e.reason === r;

test('a signed note opens with its verifier key, read back from its text form', () => {
  const note = signNote(TEXT, [log, witness]);
  assert.match(
    note,
    /^vmic\.example\/log\n3\n.*\n\n\u2014 vmic\.example\/log \S+\n\u2014 witness\.example \S+\n$/su,
  );
  const vkey = verifierKeyText(log);
  assert.match(vkey, /^vmic\.example\/log\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$/);
  const opened = openNote(note, [parseVerifierKey(vkey)]);
  assert.equal(opened.text, TEXT);
  assert.deepEqual(
    opened.verifiedBy.map((v) => v.name),
    ['vmic.example/log'],
  );
  assert.equal(opened.signatures.length, 2, 'the witness line is kept for counting');
  assert.deepEqual(
    openNote(note, [witness, log]).verifiedBy.map((v) => v.name),
    ['vmic.example/log', 'witness.example'],
  );
});

test('a changed byte, another key, a forged line or a malformed note is refused', () => {
  const note = signNote(TEXT, [log]);
  assert.throws(() => openNote(note.replace('\n3\n', '\n4\n'), [log]), reason('bad-signature'));
  assert.throws(() => openNote(note, [witness]), reason('unknown-key'));
  // A second line claiming the pinned key with a bad signature refuses the note.
  const forged =
    note + signNote(TEXT, [signerFromSeed('vmic.example/log', randomBytes(32))]).split('\n\n')[1]!;
  assert.throws(() =>
    openNote(forged.replace(/(\u2014 vmic\.example\/log )(\S{6})/u, '$1AAAAAA'), [log]),
  );
  const sig = note.split('\n\n')[1]!;
  const flipped = sig.replace(
    /(\S)(\n)$/,
    (_, c: string, nl: string) => `${c === 'A' ? 'B' : 'A'}${nl}`,
  );
  assert.throws(() => openNote(`${TEXT}\n${flipped}`, [log]));
  assert.throws(() => parseNote(TEXT), reason('malformed-note'));
  assert.throws(() => parseNote(`${TEXT}\nnot a signature\n`), reason('malformed-note'));
  assert.throws(() => parseNote(`a\n\nb\n\n${sig}`), reason('malformed-note'));
  assert.throws(() =>
    parseNote(Buffer.concat([Buffer.from(TEXT), Buffer.from([0xff]), Buffer.from(`\n\n${sig}`)])),
  );
  assert.throws(() => parseNote('x'.repeat(MAX_NOTE_BYTES + 1)), reason('malformed-note'));
  assert.throws(() => signNote('no newline', [log]), reason('malformed-note'));
});

test('verifier keys: the hash must match the name and key', () => {
  const vkey = verifierKeyText(log);
  const [, name, hash, key] = /^([^+]+)\+([0-9a-f]{8})\+(.+)$/.exec(vkey)! as unknown as [
    string,
    string,
    string,
    string,
  ];
  assert.throws(() => parseVerifierKey(`other.example+${hash}+${key}`), reason('malformed-key'));
  assert.throws(() => parseVerifierKey(`${name}+00000000+${key}`), reason('malformed-key'));
  assert.throws(() => parseVerifierKey(`${name}+${hash}`), reason('malformed-key'));
  assert.throws(
    () => parseVerifierKey(`${name}+${hash}+${Buffer.alloc(33, 2).toString('base64')}`),
    reason('malformed-key'),
  );
  assert.throws(() => signerFromSeed('two words', randomBytes(32)), reason('malformed-key'));
});

test('checkpoints: written and parsed strictly, origin checked', () => {
  const root = randomBytes(32);
  const text = checkpointText({
    origin: 'vmic.example/log',
    size: 42,
    root,
    extensions: ['ext one'],
  });
  assert.equal(text, `vmic.example/log\n42\n${root.toString('base64')}\next one\n`);
  const c = parseCheckpoint(text, 'vmic.example/log');
  assert.equal(c.size, 42);
  assert.deepEqual(Buffer.from(c.root), root);
  assert.deepEqual(c.extensions, ['ext one']);
  assert.throws(() => parseCheckpoint(text, 'other.example/log'), reason('wrong-origin'));
  for (const bad of [
    'o\n42\n',
    `o\n042\n${root.toString('base64')}\n`,
    `o\n-1\n${root.toString('base64')}\n`,
    `o\n1\n${randomBytes(31).toString('base64')}\n`,
    `\n1\n${root.toString('base64')}\n`,
    `o\n1\n${root.toString('base64')}`,
    `o\n1\n${root.toString('base64')}\n\n`,
  ])
    assert.throws(() => parseCheckpoint(bad), reason('malformed-checkpoint'), JSON.stringify(bad));
});
