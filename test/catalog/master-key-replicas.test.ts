import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openInstance } from '../../catalog/index.ts';
import { loadMasterKey } from '../../catalog/secrets/master-key.ts';
import { tempInstance } from '../helpers/temp-instance.ts';

test('VMIC_MASTER_KEY_FILE: one existing 0600 file that every replica reads', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-key-'));
  try {
    const file = path.join(dir, 'shared.key');
    const env = { VMIC_MASTER_KEY_FILE: file };
    // Never created here: a key made by one replica would differ from the others'.
    assert.throws(() => loadMasterKey(path.join(dir, 'data'), env), {
      code: 'CONFIG',
      message: /VMIC_MASTER_KEY_FILE names no file/,
    });
    assert.equal(fs.existsSync(path.join(dir, 'data')), false);
    fs.writeFileSync(file, 'cd'.repeat(32) + '\n', { mode: 0o600 });
    assert.deepEqual(loadMasterKey('/nonexistent-vmic', env), Buffer.from('cd'.repeat(32), 'hex'));
    // VMIC_MASTER_KEY still wins.
    const hex = 'ab'.repeat(32);
    assert.deepEqual(
      loadMasterKey('/nonexistent-vmic', { ...env, VMIC_MASTER_KEY: hex }),
      Buffer.from(hex, 'hex'),
    );
    fs.chmodSync(file, 0o640);
    assert.throws(() => loadMasterKey('/nonexistent-vmic', env), { code: 'CONFIG' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a replica with another master key is refused by the shared database', async () => {
  const t = await tempInstance();
  try {
    const same = await openInstance(t.inst.config, { env: {} });
    await same.close();
    await assert.rejects(
      openInstance(t.inst.config, { env: { VMIC_MASTER_KEY: 'ef'.repeat(32) } }),
      { code: 'CONFIG', message: /every replica must read the same key/ },
    );
  } finally {
    await t.cleanup();
  }
});
