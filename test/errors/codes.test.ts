import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  OPERATIONAL_CODES,
  REASON_CODES,
  VmicError,
  isErrorCode,
  knownCode,
} from '../../errors/index.ts';
import { PKI_CODES, PkiError } from '../../pki/index.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

test('pki raises only its own codes, through PkiError', () => {
  for (const code of PKI_CODES) assert.ok(isErrorCode(code), code);
  const e = new PkiError('CHAIN_UNTRUSTED', 'x');
  assert.ok(e instanceof VmicError, 'a PkiError is a VmicError to every caller');
  assert.equal(e.code, 'CHAIN_UNTRUSTED');
  // The compiler holds `new PkiError` to PKI_CODES; a bare VmicError in pki/ would escape it.
  for (const file of sources('pki')) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    assert.doesNotMatch(text, /new VmicError\(/, `${file} constructs a VmicError`);
  }
});

test('errors/ imports nothing of vmic, and pki/ and tlog/ nothing above them', () => {
  const importsOf = (file: string) =>
    [...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/from '(\.[^']+)'/g)].map((m) =>
      path.normalize(path.join(path.dirname(file), m[1]!)),
    );
  for (const file of sources('errors'))
    for (const target of importsOf(file))
      assert.ok(target.startsWith('errors'), `${file} imports ${target}`);
  for (const file of sources('pki'))
    for (const target of importsOf(file))
      assert.ok(/^(pki|errors)\//.test(target), `${file} imports ${target}`);
  // tlog/ is pure as pki/ is: formats and proofs, no database, no network.
  for (const file of sources('tlog'))
    for (const target of importsOf(file))
      assert.ok(/^tlog\//.test(target), `${file} imports ${target}`);
});

test('every code is known exactly once; a peer code is checked, not cast', () => {
  const all = [...REASON_CODES, ...OPERATIONAL_CODES];
  assert.equal(new Set(all).size, all.length);
  assert.deepEqual(knownCode('CIPHERTEXT_INVALID', 'INTERNAL'), { code: 'CIPHERTEXT_INVALID' });
  assert.deepEqual(knownCode(undefined, 'INTERNAL'), { code: 'INTERNAL' });
  assert.deepEqual(knownCode(42, 'INTERNAL'), { code: 'INTERNAL' });
  const odd = knownCode(`EVIL${'x'.repeat(200)}`, 'INTERNAL');
  assert.equal(odd.code, 'INTERNAL');
  assert.equal(odd.unknown, JSON.stringify(`EVIL${'x'.repeat(60)}`));
  assert.equal(isErrorCode('constructor'), false);
  assert.equal(isErrorCode('__proto__'), false);
});
