import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  buildDemoHierarchy,
  derToPem,
  exportPrivateKeyPkcs8,
  generateKeyPair,
  issueCertificate,
  type DemoHierarchy,
} from '../../../pki/index.ts';
import {
  addEndorser,
  addImageFromStream,
  publishCatalog,
  type Instance,
} from '../../../catalog/index.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { fetchImages } from '../../../catalog/site/fetch-images.ts';
import { approveImage } from '../../../catalog/site/approvals.ts';
import { setSiteIdentity } from '../../../catalog/migration/site-identity.ts';
import { addPeer } from '../../../catalog/migration/peers.ts';
import { startServer, type RunningServer } from '../../../server/index.ts';
import { syntheticImage } from '../../../scripts/demo/demo-instance.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { freePort } from '../../helpers/free-port.ts';

export const SUBJECTS = {
  a: 'CN=Site A,O=vmic test,C=CH',
  b: 'CN=Site B,O=vmic test,C=DE',
  c: 'CN=Site C,O=vmic test,C=FR',
};

export interface Site {
  inst: Instance;
  dir: string;
  url: string;
  server: RunningServer;
  cleanup(): Promise<void>;
}

/** A site leaf from the demo intermediate: signs manifests, receives wrapped keys. */
export async function siteCredential(
  h: DemoHierarchy,
  subject: string,
  alg: 'RSA-2048' | 'ECDSA-P256',
): Promise<{ certificatePem: string; keyPem: string }> {
  const keys = await generateKeyPair(alg);
  const now = Date.now();
  const cert = await issueCertificate({
    subject,
    publicKey: keys.publicKey,
    issuer: h.intermediate,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 30 * 86400_000),
    keyUsage:
      alg === 'RSA-2048'
        ? ['digitalSignature', 'keyEncipherment']
        : ['digitalSignature', 'keyAgreement'],
  });
  return {
    certificatePem: derToPem(cert, 'CERTIFICATE'),
    keyPem: derToPem(await exportPrivateKeyPkcs8(keys.privateKey), 'PRIVATE KEY'),
  };
}

export async function startSite(
  h: DemoHierarchy,
  subject: string,
  alg: 'RSA-2048' | 'ECDSA-P256',
): Promise<Site> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await tempInstance({ publicUrl: url });
  const trust =
    [h.root.certificate, h.intermediate.certificate]
      .map((c) => derToPem(c, 'CERTIFICATE'))
      .join('') + [h.crl, h.rootCrl].map((c) => derToPem(c, 'X509 CRL')).join('');
  await addTrustMaterial(t.inst, trust, 'test');
  const id = await siteCredential(h, subject, alg);
  await setSiteIdentity(t.inst, {
    ...id,
    chainPem: derToPem(h.intermediate.certificate, 'CERTIFICATE'),
    actor: 'test',
  });
  const server = await startServer(t.inst, { host: '127.0.0.1', port });
  return {
    inst: t.inst,
    dir: t.dir,
    url,
    server,
    cleanup: async () => {
      await server.close();
      await t.cleanup();
    },
  };
}

/** Site A endorses, imports from itself, fetches and approves one image of `size` bytes. */
export async function deployableImageAt(
  a: Site,
  h: DemoHierarchy,
  size: number,
): Promise<{ identifier: string; sha256: string }> {
  await addEndorser(a.inst, {
    name: 'cern',
    certificatePem: derToPem(h.endorser.certificate, 'CERTIFICATE'),
    keyPem: derToPem(await exportPrivateKeyPkcs8(h.endorser.privateKey), 'PRIVATE KEY'),
    chainPem: derToPem(h.intermediate.certificate, 'CERTIFICATE'),
    actor: 'test',
  });
  const img = await addImageFromStream(a.inst, {
    endorser: 'cern',
    identifier: 'alma9',
    metadata: { title: 'AlmaLinux 9', arch: 'x86_64', format: 'qcow2' },
    actor: 'test',
    source: syntheticImage('migration-test', size),
  });
  await publishCatalog(a.inst, { endorser: 'cern', actor: 'test' });
  await subscribe(a.inst, {
    url: `${a.url}/feeds/cern/`,
    expectSubject: 'CN=vmic Demo Endorser,O=vmic demo,C=CH',
    actor: 'test',
  });
  const [imported] = await runImport(a.inst, { actor: 'test' });
  if (imported?.status !== 'applied')
    throw new Error(`import failed: ${imported?.code} ${imported?.message}`);
  const fetched = await fetchImages(a.inst, { actor: 'test' });
  if (fetched.totals.failed + fetched.totals.quarantined > 0) throw new Error('fetch failed');
  await approveImage(a.inst, { image: 'alma9', actor: 'test' });
  return { identifier: 'alma9', sha256: img.sha256 };
}

export async function peerWith(
  from: Site,
  name: string,
  to: { url?: string; certificatePem?: string },
  subject: string,
): Promise<void> {
  await addPeer(from.inst, { name, ...to, expectSubject: subject, actor: 'test' });
}

/** A loopback HTTP proxy that records every request body it forwards (the bytes on the wire). */
export async function startCapturingProxy(
  target: string,
): Promise<{ url: string; bodies: Buffer[]; close(): Promise<void> }> {
  const bodies: Buffer[] = [];
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    const upstream = http.request(
      { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.on('data', (c: Buffer) => {
      chunks.push(c);
      upstream.write(c);
    });
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      upstream.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** True if any 4 KiB-aligned block of `plain` occurs anywhere in `haystack`. */
export function containsAnyBlock(haystack: Buffer, plain: Buffer, block = 4096): boolean {
  // Index blocks by their first 4 bytes; scan every offset of the haystack once.
  const index = new Map<number, number[]>();
  for (let off = 0; off + block <= plain.length; off += block) {
    const k = plain.readUInt32LE(off);
    const list = index.get(k);
    if (list) list.push(off);
    else index.set(k, [off]);
  }
  for (let i = 0; i + block <= haystack.length; i++) {
    const hits = index.get(haystack.readUInt32LE(i));
    if (!hits) continue;
    for (const off of hits)
      if (haystack.compare(plain, off, off + block, i, i + block) === 0) return true;
  }
  return false;
}

export function partialFiles(site: Site): string[] {
  const dir = `${site.dir}/migrations`;
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.part')) : [];
}

export { buildDemoHierarchy };
