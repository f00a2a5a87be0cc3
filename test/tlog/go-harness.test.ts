// Smoke test of the Go checker (test/helpers/go-tlog.ts): it accepts what
// golang.org/x/mod signs and proves, and rejects each of those changed by one byte.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { goTlogCheck, goTlogCheckBinary, goVectorLeaf, goVectors } from '../helpers/go-tlog.ts';
import type { GoVectors } from '../helpers/go-tlog.ts';

let v: GoVectors;

before(async () => {
  const started = Date.now();
  await goTlogCheckBinary();
  console.log(`go build of vmic-tlog-check: ${Date.now() - started} ms`);
  v = await goVectors();
});

/** Flips one bit of byte `at` of a base64-encoded value; the result is still valid base64. */
function flipB64(b64: string, at = 0): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[at] = (bytes[at] ?? 0) ^ 0x01;
  return bytes.toString('base64');
}

function root(size: number): string {
  const r = v.roots[String(size)];
  assert.ok(r !== undefined, `no root for size ${size}`);
  return r;
}

function assertFails(r: { status: number; stdout: string; stderr: string }): void {
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^[^\n]+\n$/, 'exactly one line on stderr');
}

test('the vectors cover the promised sizes and proofs', () => {
  for (const size of [1, 2, 3, 4, 5, 7, 8, 13, 64, 100]) {
    assert.equal(Buffer.from(root(size), 'base64').length, 32);
  }
  assert.equal(v.inclusion.length, 7 + 13 + 100);
  assert.deepEqual(
    v.consistency.map((c) => [c.n, c.m]),
    [
      [1, 7],
      [3, 7],
      [4, 8],
      [6, 13],
      [13, 100],
      [64, 100],
      [100, 100],
    ],
  );
});

test('note: a Go-signed note opens and prints its body; a changed byte fails', () => {
  const { vkey, text } = v.note;
  const body = text.slice(0, text.lastIndexOf('\n\n') + 1);
  const ok = goTlogCheck(['note', vkey], text);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, `ok\n${body}`);

  const changed = Buffer.from(text, 'utf8');
  changed[0] = (changed[0] ?? 0) ^ 0x01;
  assertFails(goTlogCheck(['note', vkey], changed));
  // The signature itself changed.
  const sigLine = text.slice(text.lastIndexOf('\n\n') + 2);
  const sig = sigLine.slice(sigLine.lastIndexOf(' ') + 1, -1);
  assertFails(goTlogCheck(['note', vkey], text.replace(sig, flipB64(sig, 10))));
});

test('checkpoint: a Go-signed 13-leaf checkpoint gives ok SIZE ROOT', () => {
  const cp = v.checkpoint;
  assert.equal(cp.size, 13);
  assert.equal(cp.root, root(13));
  const ok = goTlogCheck(['checkpoint', cp.vkey, cp.origin], cp.text);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, `ok 13 ${cp.root}\n`);
  assertFails(goTlogCheck(['checkpoint', cp.vkey, 'other.example/log'], cp.text));
  // A plain note is no checkpoint.
  assertFails(goTlogCheck(['checkpoint', v.note.vkey, cp.origin], v.note.text));
});

test('inclusion: a Go-made proof checks; a changed proof byte fails', () => {
  for (const p of v.inclusion.filter(
    (x) => x.size === 13 || (x.size === 100 && x.index % 9 === 0),
  )) {
    const args = [
      'inclusion',
      String(p.size),
      root(p.size),
      String(p.index),
      goVectorLeaf(p.index).toString('base64'),
    ];
    const ok = goTlogCheck([...args, ...p.proof]);
    assert.equal(ok.status, 0, `size ${p.size} index ${p.index}: ${ok.stderr}`);
    assert.equal(ok.stdout, 'ok\n');
    const bad = [...p.proof];
    bad[0] = flipB64(bad[0] ?? '', 31);
    assertFails(goTlogCheck([...args, ...bad]));
  }
});

test('consistency: a Go-made proof checks; a changed proof byte fails', () => {
  for (const c of v.consistency) {
    const args = ['consistency', String(c.n), root(c.n), String(c.m), root(c.m)];
    const ok = goTlogCheck([...args, ...c.proof]);
    assert.equal(ok.status, 0, `${c.n} -> ${c.m}: ${ok.stderr}`);
    assert.equal(ok.stdout, 'ok\n');
    if (c.proof.length > 0) {
      const bad = [...c.proof];
      bad[bad.length - 1] = flipB64(bad[bad.length - 1] ?? '', 5);
      assertFails(goTlogCheck([...args, ...bad]));
    } else {
      assertFails(goTlogCheck([...args.slice(0, 4), flipB64(root(c.m))]));
    }
  }
});

test('usage errors exit 2', () => {
  assert.equal(goTlogCheck([]).status, 2);
  assert.equal(goTlogCheck(['frobnicate']).status, 2);
  assert.equal(goTlogCheck(['inclusion', '1']).status, 2);
});
