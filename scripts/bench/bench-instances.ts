import fs from 'node:fs';
import path from 'node:path';
import { openInstance, resolveConfig, type Instance } from '../../catalog/index.ts';
import { derToPem, describeCertificate, type DemoHierarchy } from '../../pki/index.ts';
import { addTrustMaterial } from '../../catalog/site/trust-store.ts';
import { subscribe } from '../../catalog/site/subscriptions.ts';
import { addPublishedEndorser, demoEndorserIdentity } from '../fixtures/published-endorser.ts';

/** The endorser side of every bench: `bench` with `rows` endorsed images, not yet published. */
export async function benchEndorser(
  h: DemoHierarchy,
  work: string,
  rows: number,
  prefix: string,
): Promise<Instance> {
  const inst = await openInstance(
    resolveConfig({
      dataDir: fs.mkdtempSync(path.join(work, prefix)),
      publicUrl: 'https://endorser.example',
      env: {},
    }),
    { env: {} },
  );
  await addPublishedEndorser(inst, {
    name: 'bench',
    identity: await demoEndorserIdentity(h),
    images: { rows },
    actor: 'bench',
    publish: false,
  });
  return inst;
}

/** The site side: trusts the demo CAs and subscribes (as `bench`) to the bench endorser. */
export async function benchSite(h: DemoHierarchy, work: string, prefix: string): Promise<Instance> {
  const inst = await openInstance(
    resolveConfig({
      dataDir: fs.mkdtempSync(path.join(work, prefix)),
      publicUrl: 'https://site.example',
      env: {},
    }),
    { env: {} },
  );
  await addTrustMaterial(
    inst,
    derToPem(h.root.certificate, 'CERTIFICATE') +
      derToPem(h.intermediate.certificate, 'CERTIFICATE'),
    'bench',
  );
  await subscribe(inst, {
    url: 'https://endorser.example/feeds/bench/',
    name: 'bench',
    expectSubject: describeCertificate(h.endorser.certificate).subject,
    actor: 'bench',
    // Nothing serves this URL: the benches hand the catalog to runImport through a stub
    // fetcher, so there is no endorser log to ask for an inclusion proof.
    log: 'off',
  });
  return inst;
}
