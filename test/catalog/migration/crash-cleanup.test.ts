import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { derToPem, type DemoHierarchy } from '../../../pki/index.ts';
import { openInstance, resolveConfig } from '../../../catalog/index.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { setSiteIdentity } from '../../../catalog/migration/site-identity.ts';
import { addPeer } from '../../../catalog/migration/peers.ts';
import { migrateImage } from '../../../catalog/migration/migrate.ts';
import { VMIC_BIN, vmic } from '../../helpers/cli.ts';
import { freePort } from '../../helpers/free-port.ts';
import {
  SUBJECTS,
  buildDemoHierarchy,
  deployableImageAt,
  partialFiles,
  peerWith,
  siteCredential,
  startSite,
  type Site,
} from './two-sites.ts';

// Crashes leave nothing behind (docs/design.md §8), as an operator meets it: the receiving `vmic serve` is killed with
// kill -9 in the middle of a migration. On restart nothing of the transfer may be left
// (no unauthenticated plaintext), its record is failed/INTERRUPTED, the audit log is
// intact, and a new migration succeeds.

const SIZE = 48 * 1024 * 1024;
/** The proxy forwards this much of a transfer, then holds the rest: the receiver is mid-transfer. */
const HOLD_AFTER = 8 * 1024 * 1024;

let h: DemoHierarchy;
let a: Site;
let bDir: string;
let bPort: number;
let receiver: ChildProcess | undefined;
let proxy: Awaited<ReturnType<typeof startHoldingProxy>>;

function serveB(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [VMIC_BIN, 'serve', '--data', bDir, '--port', String(bPort)],
    {
      env: { ...process.env, VMIC_MASTER_KEY: '', VMIC_DATA: '', VMIC_PUBLIC_URL: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      if (/vmic listening on/.test(err)) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`vmic serve exited with ${code}: ${err}`)));
  });
}

/** Forwards to `target`; while `hold` is set, stops forwarding a body after HOLD_AFTER bytes. */
async function startHoldingProxy(target: string) {
  const t = new URL(target);
  const state = { hold: true };
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        const headers = { ...up.headers };
        delete headers.connection;
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    let sent = 0;
    const holding = state.hold;
    req.on('data', (c: Buffer) => {
      if (holding && sent + c.length > HOLD_AFTER) {
        req.pause(); // held: the receiver waits for bytes that do not come
        return;
      }
      sent += c.length;
      upstream.write(c);
    });
    req.on('end', () => upstream.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for: ${what}`);
}

before(async () => {
  h = await buildDemoHierarchy({ keyAlgorithm: 'RSA-2048', now: new Date() });
  a = await startSite(h, SUBJECTS.a, 'RSA-2048');
  await deployableImageAt(a, h, SIZE);

  // Site B: configured in process, then served by a real `vmic serve` child.
  bDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-crash-b-'));
  bPort = await freePort();
  const b = await openInstance(
    resolveConfig({ dataDir: bDir, publicUrl: `http://127.0.0.1:${bPort}`, env: {} }),
    { env: {} },
  );
  await addTrustMaterial(
    b,
    [h.root.certificate, h.intermediate.certificate]
      .map((c) => derToPem(c, 'CERTIFICATE'))
      .join('') + [h.crl, h.rootCrl].map((c) => derToPem(c, 'X509 CRL')).join(''),
    'test',
  );
  await setSiteIdentity(b, {
    ...(await siteCredential(h, SUBJECTS.b, 'ECDSA-P256')),
    chainPem: derToPem(h.intermediate.certificate, 'CERTIFICATE'),
    actor: 'test',
  });
  await addPeer(b, { name: 'site-a', url: a.url, expectSubject: SUBJECTS.a, actor: 'test' });
  await b.close();

  receiver = await serveB();
  proxy = await startHoldingProxy(`http://127.0.0.1:${bPort}`);
  await peerWith(a, 'site-b', { url: proxy.url }, SUBJECTS.b);
});

after(async () => {
  receiver?.kill('SIGKILL');
  await proxy?.close();
  await a?.cleanup();
  if (bDir) fs.rmSync(bDir, { recursive: true, force: true });
});

test('kill -9 of the receiver mid-transfer leaves no plaintext, an INTERRUPTED record, and a working site', async () => {
  const first = migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' });
  first.catch(() => {}); // judged below
  const partial = () => path.join(bDir, 'tmp', 'migrations', partialFiles({ dir: bDir })[0] ?? '');
  await eventually(
    () => partialFiles({ dir: bDir }).length === 1 && fs.statSync(partial()).size > 1024 * 1024,
    'the receiver writes the partial plaintext',
  );
  assert.equal(fs.statSync(partial()).mode & 0o777, 0o600, 'unauthenticated plaintext is 0600');
  assert.equal(
    fs.statSync(path.join(bDir, 'tmp', 'migrations')).mode & 0o777,
    0o700,
    'in a directory only vmic can read',
  );

  const killed = receiver!;
  killed.kill('SIGKILL');
  await once(killed, 'exit');
  await assert.rejects(first);
  assert.equal(partialFiles({ dir: bDir }).length, 1, 'the crash left the partial file');

  receiver = await serveB();
  assert.deepEqual(partialFiles({ dir: bDir }), [], 'start-up cleanup removed it');
  const list = JSON.parse(vmic(['migrations', '--data', bDir, '--json']).stdout) as {
    state: string;
    reason?: { code: string };
    stages: { stage: string; state: string; reasonCode?: string }[];
  }[];
  assert.equal(list.length, 1);
  assert.equal(list[0]!.state, 'failed');
  assert.equal(list[0]!.reason?.code, 'INTERRUPTED');
  assert.deepEqual(
    list[0]!.stages.map((s) => `${s.stage}:${s.state}:${s.reasonCode}`),
    ['import:failed:INTERRUPTED'],
  );
  const audit = vmic(['audit', 'verify', '--data', bDir]);
  assert.equal(audit.status, 0, audit.stderr + audit.stdout);

  proxy.state.hold = false;
  const again = await migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' });
  const after = JSON.parse(vmic(['migrations', '--data', bDir, '--json']).stdout) as {
    id: string;
    state: string;
  }[];
  assert.equal(after.find((m) => m.id === again.migrationId)?.state, 'done');
  assert.deepEqual(partialFiles({ dir: bDir }), []);
});
