import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { buildDemoHierarchy, derToPem, type DemoHierarchy } from '../../../pki/index.ts';
import { openInstance, resolveConfig, type Instance } from '../../../catalog/index.ts';
import { addImageFromStream } from '../../../catalog/images.ts';
import { publishCatalog } from '../../../catalog/publish.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { startServer, type RunningServer } from '../../../server/index.ts';
import {
  addPublishedEndorser,
  demoEndorserIdentity,
  syntheticImage,
} from '../../../scripts/fixtures/published-endorser.ts';
import { freePort } from '../../helpers/free-port.ts';

/**
 * Real vmic instances for the transparency tests, each a SQLite data directory served on
 * loopback. An endorser's directory can be copied while it is closed: the copy holds the
 * same sealed log key and history, so serving both and publishing different catalogs in
 * each is exactly a split view (one log key, two histories) — what a compromised or
 * dishonest endorser host could show two groups of sites.
 */
export const ENDORSER_SUBJECT = 'CN=vmic Demo Endorser,O=vmic demo,C=CH';

export interface Served {
  inst: Instance;
  dir: string;
  url: string;
  server: RunningServer;
  /** Stops the server only (the instance stays open): a witness that is down. */
  stop(): Promise<void>;
  /** Serves again on the same port. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export async function serve(dir: string): Promise<Served> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const inst = await openInstance(resolveConfig({ dataDir: dir, publicUrl: url, env: {} }), {
    env: {},
  });
  let server: RunningServer | undefined = await startServer(inst, { host: '127.0.0.1', port });
  const s: Served = {
    inst,
    dir,
    url,
    server,
    stop: async () => {
      await server?.close();
      server = undefined;
    },
    restart: async () => {
      server = await startServer(inst, { host: '127.0.0.1', port });
      s.server = server;
    },
    close: async () => {
      await server?.close();
      await inst.close();
    },
  };
  return s;
}

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `vmic-${label}-`));
}

/** An endorser `cern` that published catalog 1 (one image), closed, in its directory. */
export async function endorserDir(h: DemoHierarchy): Promise<string> {
  const dir = tempDir('endorser');
  const inst = await openInstance(
    resolveConfig({ dataDir: dir, publicUrl: 'http://endorser.test', env: {} }),
    { env: {} },
  );
  await addPublishedEndorser(inst, {
    name: 'cern',
    identity: await demoEndorserIdentity(h),
    images: {
      synthetic: [{ identifier: 'alma9', metadata: { title: 'AlmaLinux 9' }, size: 4096 }],
    },
    actor: 'test',
  });
  await inst.close();
  return dir;
}

/** A copy of a closed instance's directory: the same keys, the same log so far. */
export function copyDir(dir: string, label: string): string {
  const to = tempDir(label);
  fs.cpSync(dir, to, { recursive: true });
  return to;
}

/** Adds an image and publishes the next catalog. */
export async function publishWith(inst: Instance, identifier: string, seed: string): Promise<void> {
  await addImageFromStream(inst, {
    endorser: 'cern',
    identifier,
    metadata: { title: identifier },
    actor: 'test',
    source: syntheticImage(seed, 4096),
  });
  await publishCatalog(inst, { endorser: 'cern', actor: 'test' });
}

/** A site instance (served: it is also a witness) trusting the demo hierarchy. */
export async function siteAt(h: DemoHierarchy, label: string): Promise<Served> {
  const s = await serve(tempDir(label));
  const trust =
    [h.root.certificate, h.intermediate.certificate]
      .map((c) => derToPem(c, 'CERTIFICATE'))
      .join('') + [h.crl, h.rootCrl].map((c) => derToPem(c, 'X509 CRL')).join('');
  await addTrustMaterial(s.inst, trust, 'test');
  return s;
}

export { buildDemoHierarchy };

/**
 * A host serving one catalog.p7m at /feeds/cern/catalog.p7m and nothing else: a feed
 * whose catalog has no log behind it (a mirror, or an endorser that runs none).
 */
export async function bareFeed(p7m: Buffer): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url === '/feeds/cern/catalog.p7m') {
      res.writeHead(200, { 'content-type': 'application/pkcs7-mime' });
      res.end(p7m);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/feeds/cern/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export function removeDirs(...dirs: string[]): void {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
}
