import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openInstance, resolveConfig } from '../../catalog/index.ts';

test('a public URL given once is remembered for later commands that name none', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-inst-'));
  try {
    const first = await openInstance(
      resolveConfig({ dataDir: dir, publicUrl: 'https://vmic.example.org/', env: {} }),
      { env: {} },
    );
    assert.equal(first.config.publicUrl, 'https://vmic.example.org');
    await first.close();
    const later = await openInstance(resolveConfig({ dataDir: dir, env: {} }), { env: {} });
    assert.equal(later.config.publicUrl, 'https://vmic.example.org');
    await later.close();
    const env = { VMIC_PUBLIC_URL: 'http://127.0.0.1:9000' };
    const overridden = await openInstance(resolveConfig({ dataDir: dir, env }), { env: {} });
    assert.equal(overridden.config.publicUrl, 'http://127.0.0.1:9000');
    await overridden.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad configuration values are CONFIG errors', () => {
  assert.throws(() => resolveConfig({ publicUrl: 'ftp://x', env: {} }), { code: 'CONFIG' });
  assert.throws(() => resolveConfig({ publicUrl: 'http://x/?q=1', env: {} }), { code: 'CONFIG' });
  assert.throws(() => resolveConfig({ limits: { imageBytes: -1 }, env: {} }), { code: 'CONFIG' });
});
