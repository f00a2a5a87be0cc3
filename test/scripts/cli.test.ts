import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { vmic } from '../helpers/cli.ts';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-cli-'));
}

test('endorser workflow through the CLI: pki demo, endorser add, image add, publish twice, audit', () => {
  const dir = tempDir();
  const data = path.join(dir, 'data');
  const pki = path.join(dir, 'pki');
  try {
    const demo = vmic(['pki', 'demo', '--out', pki]);
    assert.equal(demo.status, 0, demo.stderr);
    for (const f of [
      'root-ca.pem',
      'intermediate-ca.pem',
      'endorser.pem',
      'endorser.key',
      'site.pem',
      'site.key',
      'crl.pem',
    ]) {
      assert.ok(fs.existsSync(path.join(pki, f)), f);
    }

    const add = vmic([
      'endorser',
      'add',
      'cern',
      '--data',
      data,
      '--cert',
      path.join(pki, 'endorser.pem'),
      '--chain',
      path.join(pki, 'endorser-chain.pem'),
      '--key',
      path.join(pki, 'endorser.key'),
      '--title',
      'CERN IT',
      '--json',
    ]);
    assert.equal(add.status, 0, add.stderr);
    const endorser = JSON.parse(add.stdout) as Record<string, unknown>;
    assert.equal(endorser.name, 'cern');
    assert.doesNotMatch(add.stdout + add.stderr, /PRIVATE KEY|sealed_key|privateKey/);

    const image = path.join(dir, 'disk.qcow2');
    const bytes = crypto.randomBytes(3 * 1024 * 1024 + 5);
    fs.writeFileSync(image, bytes);
    const added = vmic([
      'image',
      'add',
      '--data',
      data,
      '--endorser',
      'cern',
      '--file',
      image,
      '--title',
      'Test image',
      '--arch',
      'x86_64',
      '--format',
      'qcow2',
      '--identifier',
      'test-image',
      '--json',
    ]);
    assert.equal(added.status, 0, added.stderr);
    const img = JSON.parse(added.stdout) as { sha256: string; byteSize: number };
    assert.equal(img.sha256, crypto.createHash('sha256').update(bytes).digest('hex'));
    assert.equal(img.byteSize, bytes.length);

    const p1 = vmic(['publish', '--data', data, '--endorser', 'cern', '--json']);
    assert.equal(p1.status, 0, p1.stderr);
    const p2 = vmic([
      'publish',
      '--data',
      data,
      '--endorser',
      'cern',
      '--expires-in',
      '2d',
      '--json',
    ]);
    assert.equal(p2.status, 0, p2.stderr);
    const [v1, v2] = [JSON.parse(p1.stdout), JSON.parse(p2.stdout)] as {
      sequence: number;
      expiresAt: string;
      issuedAt: string;
    }[];
    assert.equal(v2!.sequence, v1!.sequence + 1);
    assert.equal(Date.parse(v2!.expiresAt) - Date.parse(v2!.issuedAt), 2 * 86400_000);

    const list = vmic(['image', 'list', '--data', data, '--json']);
    assert.equal((JSON.parse(list.stdout) as unknown[]).length, 1);
    const withdrawn = vmic(['image', 'withdraw', 'test-image', '--data', data]);
    assert.equal(withdrawn.status, 0, withdrawn.stderr);

    const ok = vmic(['audit', 'verify', '--data', data]);
    assert.equal(ok.status, 0, ok.stderr);
    const exported = vmic(['audit', 'export', '--data', data])
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string });
    assert.deepEqual(
      exported.map((e) => e.action),
      [
        'endorser.added',
        'image.added',
        'catalog.published',
        'catalog.published',
        'image.withdrawn',
      ],
    );

    const db = new SqliteDatabase(path.join(data, 'vmic.sqlite'));
    db.prepare(`update audit_log set subject = 'someone-else' where seq = 2`).run();
    db.close();
    const bad = vmic(['audit', 'verify', '--data', data]);
    assert.equal(bad.status, 1);
    assert.match(bad.stdout + bad.stderr, /entry 2\b/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('usage errors exit 2, refusals exit 1 with the code', () => {
  const dir = tempDir();
  try {
    assert.equal(vmic(['no-such-command']).status, 2);
    assert.equal(vmic(['publish', '--data', dir]).status, 2);
    assert.equal(
      vmic(['publish', '--data', dir, '--endorser', 'x', '--expires-in', 'soon']).status,
      2,
    );
    const r = vmic(['publish', '--data', dir, '--endorser', 'nobody']);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /NOT_FOUND/);
    const badRole = vmic(['token', 'create', '--data', dir, '--role', 'root']);
    assert.equal(badRole.status, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('token create prints only the token', () => {
  const dir = tempDir();
  try {
    const r = vmic(['token', 'create', '--data', dir, '--role', 'auditor', '--ttl', '10m']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout.trim(), /^[\w-]+\.[\w-]+\.[\w-]+$/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
