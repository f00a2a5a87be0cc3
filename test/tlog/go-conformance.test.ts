import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, test } from 'node:test';
import {
  checkpointText,
  consistencyProof,
  inclusionProof,
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  signNote,
  signerFromSeed,
  treeHash,
  verifierKeyText,
} from '../../tlog/index.ts';
import { goTlogCheck, goTlogCheckBinary, goVectors, type GoVectors } from '../helpers/go-tlog.ts';
import { MemoryTree, leaf } from './memory-tree.ts';

/*
 * vmic's transparency formats against golang.org/x/mod/sumdb (Debian's
 * golang-golang-x-mod-dev, the code of Go's checksum database): what vmic signs and proves
 * is checked by that code, and what it makes is read by vmic, byte for byte.
 */
let v: GoVectors;
let tree: MemoryTree;
const b64 = (h: Uint8Array) => Buffer.from(h).toString('base64');

before(async () => {
  await goTlogCheckBinary();
  v = await goVectors();
  tree = await MemoryTree.of(Array.from({ length: 100 }, (_, i) => leaf(i)));
});

test('tree hashes and every proof are the bytes Go computes', async () => {
  for (const [size, root] of Object.entries(v.roots))
    assert.equal(b64(await treeHash(Number(size), tree.read)), root, `root of ${size}`);
  for (const p of v.inclusion)
    assert.deepEqual(
      (await inclusionProof(p.index, p.size, tree.read)).map(b64),
      p.proof,
      `leaf ${p.index} of ${p.size}`,
    );
  for (const p of v.consistency)
    assert.deepEqual(
      (await consistencyProof(p.n, p.m, tree.read)).map(b64),
      p.proof,
      `${p.n} → ${p.m}`,
    );
});

test('Go verifies a vmic checkpoint with its verifier key, and rejects it with one byte changed', async () => {
  const signer = signerFromSeed('vmic.example/log', randomBytes(32));
  const root = await treeHash(100, tree.read);
  const note = signNote(
    checkpointText({ origin: 'vmic.example/log', size: 100, root, extensions: [] }),
    [signer],
  );
  const vkey = verifierKeyText(signer);
  const ok = goTlogCheck(['checkpoint', vkey, 'vmic.example/log'], note);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, `ok 100 ${b64(root)}\n`);
  const opened = goTlogCheck(['note', vkey], note);
  assert.equal(opened.stdout, `ok\n${note.split('\n\n')[0]}\n`);
  for (const at of [0, note.indexOf('\n') + 1, note.indexOf('\n\n') - 3, note.length - 5]) {
    const bytes = Buffer.from(note);
    bytes[at] = bytes[at]! ^ 0x01;
    const r = goTlogCheck(['checkpoint', vkey, 'vmic.example/log'], bytes);
    assert.equal(r.status, 1, `byte ${at} changed: ${r.stdout}`);
  }
  const other = verifierKeyText(signerFromSeed('vmic.example/log', randomBytes(32)));
  assert.equal(goTlogCheck(['checkpoint', other, 'vmic.example/log'], note).status, 1);
});

test('Go checks vmic inclusion and consistency proofs, and rejects changed ones', async () => {
  const roots = new Map<number, string>();
  for (const n of [1, 6, 37, 64, 99, 100]) roots.set(n, b64(await treeHash(n, tree.read)));
  for (const [index, size] of [
    [0, 1],
    [5, 6],
    [36, 37],
    [63, 64],
    [0, 100],
    [57, 100],
    [99, 100],
  ] as const) {
    const proof = (await inclusionProof(index, size, tree.read)).map(b64);
    const args = ['inclusion', String(size), roots.get(size)!, String(index), b64(leaf(index))];
    assert.equal(goTlogCheck([...args, ...proof]).status, 0, `${index} of ${size}`);
    assert.equal(
      goTlogCheck([
        'inclusion',
        String(size),
        roots.get(size)!,
        String(index),
        b64(leaf(index + 1)),
        ...proof,
      ]).status,
      1,
    );
  }
  for (const [n, m] of [
    [1, 6],
    [6, 37],
    [37, 64],
    [64, 99],
    [99, 100],
    [1, 100],
  ] as const) {
    const proof = (await consistencyProof(n, m, tree.read)).map(b64);
    const args = ['consistency', String(n), roots.get(n)!, String(m), roots.get(m)!];
    assert.equal(goTlogCheck([...args, ...proof]).status, 0, `${n} → ${m}`);
    const bad = Buffer.from(proof[0]!, 'base64');
    bad[7] = bad[7]! ^ 0x80;
    assert.equal(goTlogCheck([...args, bad.toString('base64'), ...proof.slice(1)]).status, 1);
  }
});

test("vmic opens Go's signed note and parses Go's checkpoint", () => {
  const note = openNote(v.note.text, [parseVerifierKey(v.note.vkey)]);
  assert.equal(note.text, v.note.text.slice(0, v.note.text.lastIndexOf('\n\n') + 1));
  const cp = openNote(v.checkpoint.text, [parseVerifierKey(v.checkpoint.vkey)]);
  const parsed = parseCheckpoint(cp.text, v.checkpoint.origin);
  assert.equal(parsed.size, v.checkpoint.size);
  assert.equal(b64(parsed.root), v.checkpoint.root);
});
