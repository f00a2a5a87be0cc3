import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadMasterKey, deriveKey } from '../../catalog/secrets/master-key.ts';
import { open, seal } from '../../catalog/secrets/sealed-box.ts';

test('the master key file is created 0600 and reused', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-key-'));
  try {
    const a = loadMasterKey(dir, {});
    const b = loadMasterKey(dir, {});
    assert.equal(a.length, 32);
    assert.deepEqual(a, b);
    assert.equal(fs.statSync(path.join(dir, 'master.key')).mode & 0o777, 0o600);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a master key file readable by others is refused with CONFIG', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-key-'));
  try {
    loadMasterKey(dir, {});
    fs.chmodSync(path.join(dir, 'master.key'), 0o644);
    assert.throws(() => loadMasterKey(dir, {}), { code: 'CONFIG' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('VMIC_MASTER_KEY wins over the file and must be 32 bytes', () => {
  const hex = 'ab'.repeat(32);
  assert.deepEqual(
    loadMasterKey('/nonexistent-vmic', { VMIC_MASTER_KEY: hex }),
    Buffer.from(hex, 'hex'),
  );
  assert.throws(() => loadMasterKey('/nonexistent-vmic', { VMIC_MASTER_KEY: 'abcd' }), {
    code: 'CONFIG',
  });
});

test('sealed secrets open only with the same key and the same context', () => {
  const key = deriveKey(Buffer.alloc(32, 7), 'key sealing');
  const sealed = seal(key, Buffer.from('secret key bytes'), 'endorser:a');
  assert.equal(open(key, sealed, 'endorser:a').toString(), 'secret key bytes');
  assert.ok(!sealed.includes(Buffer.from('secret key bytes')));
  assert.throws(() => open(key, sealed, 'endorser:b'), { code: 'CONFIG' });
  assert.throws(() => open(deriveKey(Buffer.alloc(32, 8), 'key sealing'), sealed, 'endorser:a'), {
    code: 'CONFIG',
  });
  const flipped = Buffer.from(sealed);
  flipped[flipped.length - 1]! ^= 1;
  assert.throws(() => open(key, flipped, 'endorser:a'), { code: 'CONFIG' });
});

test('derived keys differ by purpose', () => {
  const m = Buffer.alloc(32, 1);
  assert.notDeepEqual(deriveKey(m, 'key sealing'), deriveKey(m, 'api tokens'));
});
