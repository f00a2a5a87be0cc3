import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { VMIC_BIN, type CliResult } from '../helpers/cli.ts';
import { tempInstance } from '../helpers/temp-instance.ts';
import type { FetchSummary } from '../../catalog/site/fetch-images.ts';
import { randomImage, startImageServer } from '../catalog/site/helpers/image-server.ts';
import { addSiteImage, addSubscription } from '../catalog/site/helpers/site-rows.ts';
import { BlobStore } from '../../catalog/blobs/blob-store.ts';

test('vmic fetch --json: exit 0 with a summary; a mismatching image makes it exit 1', async () => {
  const { inst, dir } = await tempInstance();
  const server = await startImageServer();
  try {
    const good = randomImage(1024 * 1024 + 5);
    const signed = randomImage(4096);
    server.serve('/good', good.bytes);
    const sub = await addSubscription(inst.store.db, 'cern');
    await addSiteImage(inst.store.db, sub, {
      identifier: 'alma-9',
      sha256: good.sha256,
      byteSize: good.bytes.length,
      url: server.url('/good'),
    });
    await inst.close();

    const ok = await vmic(['fetch', '--data', dir, '--json']);
    assert.equal(ok.status, 0, ok.stderr);
    const summary = JSON.parse(ok.stdout) as FetchSummary;
    assert.deepEqual(
      summary.images.map((i) => [i.subscription, i.identifier, i.sha256, i.outcome]),
      [['cern', 'alma-9', good.sha256, 'fetched']],
    );
    assert.equal(summary.totals.fetched, 1);
    assert.ok(fs.existsSync(new BlobStore(`${dir}/cache`, { lazy: true }).pathOf(good.sha256)));

    const human = await vmic(['fetch', '--data', dir]);
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /cached\s+cern\/alma-9/);

    // The catalog signs one hash, the server sends other bytes.
    server.serve('/bad', randomImage(4096).bytes);
    const again = await tempInstanceAt(dir);
    await addSiteImage(again.store.db, sub, {
      identifier: 'debian-12',
      sha256: signed.sha256,
      byteSize: 4096,
      url: server.url('/bad'),
    });
    await again.close();

    const bad = await vmic(['fetch', '--data', dir, '--json']);
    assert.equal(bad.status, 1);
    const badSummary = JSON.parse(bad.stdout) as FetchSummary;
    const debian = badSummary.images.find((i) => i.identifier === 'debian-12');
    assert.equal(debian?.outcome, 'quarantined');
    assert.equal(debian?.code, 'HASH_MISMATCH');
    assert.match(bad.stderr, /HASH_MISMATCH/);

    const badHuman = await vmic(['fetch', '--data', dir]);
    assert.equal(badHuman.status, 1);
    assert.match(badHuman.stdout, /HASH_MISMATCH/);

    const unknown = await vmic(['fetch', '--data', dir, '--subscription', 'nope']);
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /NOT_FOUND/);
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('vmic fetch from a host that trickles bytes: exit 1, TOO_SLOW and the policy key named', async () => {
  const { inst, dir } = await tempInstance();
  const img = randomImage(128 * 1024);
  // Answers at once, then 8 bytes every 20 ms: alive for the idle timeout, far too slow.
  const host = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-length': img.bytes.length });
    let at = 0;
    const timer = setInterval(() => res.write(img.bytes.subarray(at, (at += 8))), 20);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  try {
    const sub = await addSubscription(inst.store.db, 'cern');
    await addSiteImage(inst.store.db, sub, {
      identifier: 'alma-9',
      sha256: img.sha256,
      byteSize: img.bytes.length,
      url: `http://127.0.0.1:${(host.address() as AddressInfo).port}/img`,
    });
    await inst.close();
    for (const [key, value] of [
      ['fetch-min-rate', '4096'],
      ['fetch-rate-window', '1'],
    ]) {
      const set = await vmic(['policy', 'set', key!, value!, '--data', dir]);
      assert.equal(set.status, 0, set.stderr);
    }
    const slow = await vmic(['fetch', '--data', dir]);
    assert.equal(slow.status, 1);
    assert.match(slow.stdout, /TOO_SLOW: .*fetch-min-rate/);
  } finally {
    host.closeAllConnections();
    await new Promise<void>((resolve) => host.close(() => resolve()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Runs the real CLI without blocking this process: the image server lives in this
 * process, so the synchronous `vmic()` helper would stall it.
 */
function vmic(args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [VMIC_BIN, ...args],
      {
        env: { ...process.env, VMIC_MASTER_KEY: '', VMIC_DATA: '', VMIC_PUBLIC_URL: '' },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        resolve({
          status: error ? (typeof error.code === 'number' ? error.code : -1) : 0,
          stdout,
          stderr,
        }),
    );
  });
}

async function tempInstanceAt(dir: string) {
  const { openInstance, resolveConfig } = await import('../../catalog/index.ts');
  return openInstance(resolveConfig({ dataDir: dir, env: {} }), { env: {} });
}
