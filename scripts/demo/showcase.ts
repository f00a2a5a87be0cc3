/**
 * A demo instance with enough in it to judge how the web admin reads: both demo endorsers
 * and their feeds, the site subscribed and imported, images fetched (one deployable, one
 * quarantined, some awaiting approval or not fetched), long titles, URLs and DNs, and
 * well over one page of audit entries, all made through the catalog's own functions. Used
 * by `npm run screenshots` and test/web/pages/readability.test.ts; needs no ../shared.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import {
  getImage,
  openInstance,
  publishCatalog,
  registerImageByUrl,
  resolveConfig,
  updateImageMetadata,
  type Instance,
} from '../../catalog/index.ts';
import { approveImage } from '../../catalog/site/approvals.ts';
import { adoptImage } from '../../catalog/adopt.ts';
import { fetchImages } from '../../catalog/site/fetch-images.ts';
import { runImport } from '../../catalog/site/import-run.ts';
import { startServer } from '../../server/index.ts';
import { loadWebConfig } from '../../server/web/index.ts';
import { ensureDemo, ensureDemoSite } from './demo-instance.ts';

const ACTOR = 'demo:showcase';

export interface Showcase {
  inst: Instance;
  url: string;
  /** Server-side error log lines. */
  logs: string[];
  close(): Promise<void>;
}

export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const EXTRA = [
  { arch: 'aarch64', format: 'raw', hypervisor: 'xen' },
  { arch: 'x86_64', format: 'vmdk', hypervisor: 'vmware' },
  { arch: 'x86_64', format: 'vhdx', hypervisor: 'hyperv' },
  { arch: 'riscv64', format: 'iso', hypervisor: 'kvm' },
];

/** Starts the showcase on 127.0.0.1 (a free port) with its data in `dataDir`. */
export async function startShowcase(dataDir: string): Promise<Showcase> {
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  const inst = await openInstance(resolveConfig({ dataDir, publicUrl: url, env: {} }), {
    env: {},
  });
  const demo = await ensureDemo(inst);
  const logs: string[] = [];
  const server = await startServer(
    inst,
    { host: '127.0.0.1', port },
    { log: (l) => logs.push(l), web: loadWebConfig(inst, { demoMode: true, env: {} }) },
  );
  // Images registered by URL: long titles and a long mirror URL, and one whose URL serves
  // other bytes than it claims (its fetch is quarantined, HASH_MISMATCH).
  for (const [i, m] of EXTRA.entries())
    await registerImageByUrl(inst, {
      endorser: 'demo-rsa',
      identifier: `demo-extra-${i}`,
      metadata: {
        title: `Demo extra image ${i} with a rather long descriptive title for the tables`,
        description: 'Registered by URL for the showcase; the bytes are never fetched.',
        ...m,
      },
      actor: ACTOR,
      // A mirror path this server does not have: the fetch fails at once, offline too.
      url: `${url}/mirror/images/vmic/showcase/a/rather/long/path/demo-extra-${i}.img`,
      sha256: crypto.createHash('sha256').update(`extra-${i}`).digest('hex'),
      size: (i + 1) * 5 * 1024 ** 3,
    });
  // The bytes of another published image, of the signed size but not the signed hash.
  const other = await getImage(inst, 'demo-rsa', 'demo-linux-arm');
  await registerImageByUrl(inst, {
    endorser: 'demo-rsa',
    identifier: 'demo-swapped',
    metadata: { title: 'Demo image whose mirror serves other bytes', arch: 'x86_64' },
    actor: ACTOR,
    url: `${url}/blobs/sha256/${other.sha256}`,
    sha256: crypto.createHash('sha256').update('swapped').digest('hex'),
    size: other.byteSize,
  });
  await publishCatalog(inst, { endorser: 'demo-rsa', actor: ACTOR });
  await ensureDemoSite(inst, demo);
  await runImport(inst, { actor: ACTOR });
  await approveImage(inst, {
    image: 'demo-linux-server',
    subscription: 'demo-rsa',
    actor: ACTOR,
  });
  await approveImage(inst, { image: 'demo-swapped', subscription: 'demo-rsa', actor: ACTOR });
  await fetchImages(inst, { actor: ACTOR, subscription: 'demo-ecdsa' });
  await fetchImages(inst, { actor: ACTOR, subscription: 'demo-rsa' }).catch(() => undefined);
  // The chain of trust: the deployable RSA image re-endorsed by the ECDSA endorser, with its
  // provenance, imported back and deployable (the gate page shows the chain).
  await adoptImage(inst, {
    subscription: 'demo-rsa',
    identifier: 'demo-linux-server',
    endorser: 'demo-ecdsa',
    as: 'demo-linux-server-adopted',
    actor: ACTOR,
  });
  await publishCatalog(inst, { endorser: 'demo-ecdsa', actor: ACTOR });
  await runImport(inst, { actor: ACTOR, subscription: 'demo-ecdsa' });
  await fetchImages(inst, { actor: ACTOR, subscription: 'demo-ecdsa' });
  await approveImage(inst, {
    image: 'demo-linux-server-adopted',
    subscription: 'demo-ecdsa',
    actor: ACTOR,
  });
  // Well over one audit page (50): metadata edits with the details an operator reads.
  for (let i = 0; i < 30; i++)
    await updateImageMetadata(inst, {
      endorser: 'demo-ecdsa',
      identifier: ['demo-linux-server', 'demo-linux-worker', 'demo-linux-arm'][i % 3]!,
      metadata: {
        title: `Demo Linux image, revision ${i}`,
        description: `Revision ${i}: a longer description, so that the audit details have text.`,
        osVersion: `1.${i}`,
      },
      actor: ACTOR,
    });
  return {
    inst,
    url,
    logs,
    close: async () => {
      await server.close();
      await inst.close();
    },
  };
}
