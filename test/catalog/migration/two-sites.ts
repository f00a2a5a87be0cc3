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
import type { Instance } from '../../../catalog/index.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { fetchImages } from '../../../catalog/site/fetch-images.ts';
import { approveImage } from '../../../catalog/site/approvals.ts';
import { setSiteIdentity } from '../../../catalog/migration/site-identity.ts';
import { addPeer } from '../../../catalog/migration/peers.ts';
import { startServer, type RunningServer } from '../../../server/index.ts';
import {
  addPublishedEndorser,
  demoEndorserIdentity,
} from '../../../scripts/fixtures/published-endorser.ts';
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
  const published = await addPublishedEndorser(a.inst, {
    name: 'cern',
    identity: await demoEndorserIdentity(h),
    images: {
      synthetic: [
        {
          identifier: 'alma9',
          metadata: { title: 'AlmaLinux 9', arch: 'x86_64', format: 'qcow2' },
          size,
          seed: 'migration-test',
        },
      ],
    },
    actor: 'test',
  });
  const img = published.images[0]!;
  await subscribe(a.inst, {
    url: `${a.url}/feeds/cern/`,
    expectSubject: 'CN=vmic Demo Endorser,O=vmic demo,C=CH',
    actor: 'test',
  });
  const [imported] = await runImport(a.inst, { actor: 'test' });
  if (imported?.status !== 'applied')
    throw new Error(`import failed: ${imported?.code} ${imported?.message}`);
  const fetched = await fetchImages(a.inst, { actor: 'test' });
  if (fetched.totals.failed + fetched.totals.quarantined > 0)
    throw new Error(`fetch failed: ${JSON.stringify(fetched)}`);
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

/** Where the proxy flips a bit of a transfer it is told to damage: well inside the ciphertext. */
export const DAMAGE_AT = 2 * 1024 * 1024;

/**
 * A loopback HTTP proxy that records every request body it forwards (the bytes on the
 * wire). With `damage.next` set, it flips one bit of the next transfer on the way (a
 * damaged link), then forwards faithfully again. With `cut.next` set to a byte count, it
 * cuts both connections of the next transfer once that many body bytes went through (a
 * dropped link); the bytes forwarded are recorded.
 */
export async function startCapturingProxy(target: string): Promise<{
  url: string;
  bodies: Buffer[];
  damage: { next: boolean; done: number };
  cut: { next: number | undefined; done: number };
  close(): Promise<void>;
}> {
  const bodies: Buffer[] = [];
  const damage = { next: false, done: 0 };
  const cut: { next: number | undefined; done: number } = { next: undefined, done: 0 };
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    const damaging = damage.next && req.method === 'POST' && req.url === '/api/v1/transfers';
    if (damaging) damage.next = false;
    const cutAt =
      req.method === 'POST' && req.url?.startsWith('/api/v1/transfers') ? cut.next : undefined;
    if (cutAt !== undefined) cut.next = undefined;
    let offset = 0;
    const upstream = http.request(
      { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        // Hop-by-hop: the proxy keeps its own connection to the sender.
        const headers = { ...up.headers };
        delete headers.connection;
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    // A receiver that refuses closes its side after answering: keep that answer.
    upstream.on('error', () => {
      if (!res.headersSent) res.destroy();
    });
    req.on('data', (chunk: Buffer) => {
      if (cutAt !== undefined && offset >= cutAt) return;
      let c = chunk;
      if (cutAt !== undefined && offset + c.length >= cutAt) {
        c = c.subarray(0, cutAt - offset);
        offset = cutAt;
        chunks.push(c);
        bodies.push(Buffer.concat(chunks));
        cut.done++;
        upstream.write(c, () => {
          upstream.destroy();
          req.socket.destroy();
        });
        return;
      }
      if (damaging && offset <= DAMAGE_AT && DAMAGE_AT < offset + c.length) {
        c = Buffer.from(c);
        c[DAMAGE_AT - offset]! ^= 0x01;
        damage.done++;
      }
      offset += chunk.length;
      chunks.push(c);
      upstream.write(c);
    });
    req.on('end', () => {
      if (cutAt !== undefined && offset >= cutAt) return;
      bodies.push(Buffer.concat(chunks));
      upstream.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    damage,
    cut,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
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

/** Unauthenticated plaintext at the receiver: where it is written now, and where it was before. */
export function partialFiles(site: { dir: string }): string[] {
  return [`${site.dir}/tmp/migrations`, `${site.dir}/migrations`].flatMap((dir) =>
    fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.part')) : [],
  );
}

export { buildDemoHierarchy };
