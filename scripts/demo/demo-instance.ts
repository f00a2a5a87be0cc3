import fs from 'node:fs';
import path from 'node:path';
import {
  buildDemoHierarchy,
  derToPem,
  exportPrivateKeyPkcs8,
  generateKeyPair,
  issueCertificate,
  writeDemoHierarchy,
} from '../../pki/index.ts';
import {
  getCatalogVersion,
  listEndorsers,
  publishCatalog,
  type Instance,
} from '../../catalog/index.ts';
import { addTrustMaterial } from '../../catalog/site/trust-store.ts';
import { listSubscriptions, subscribe } from '../../catalog/site/subscriptions.ts';
import { runImport, type ImportOutcome } from '../../catalog/site/import-run.ts';
import { addPublishedEndorser } from '../fixtures/published-endorser.ts';

export const DEMO_ENDORSERS = ['demo-rsa', 'demo-ecdsa'] as const;
const ACTOR = 'demo:setup';
const DAY = 86400_000;

/** Small synthetic images: deterministic bytes, so that their hashes are the same on every machine. */
const SAMPLES = [
  {
    identifier: 'demo-linux-server',
    title: 'Demo Linux server 1.0',
    osFamily: 'linux',
    osName: 'DemoLinux',
    osVersion: '1.0',
    arch: 'x86_64',
    format: 'qcow2',
    hypervisor: 'kvm',
    size: 3 * 1024 * 1024,
  },
  {
    identifier: 'demo-linux-worker',
    title: 'Demo Linux worker node 1.0',
    osFamily: 'linux',
    osName: 'DemoLinux',
    osVersion: '1.0',
    arch: 'x86_64',
    format: 'raw',
    hypervisor: 'kvm',
    size: 2 * 1024 * 1024,
  },
  {
    identifier: 'demo-linux-arm',
    title: 'Demo Linux server 1.0 (ARM)',
    osFamily: 'linux',
    osName: 'DemoLinux',
    osVersion: '1.0',
    arch: 'aarch64',
    format: 'qcow2',
    hypervisor: 'kvm',
    size: 1024 * 1024,
  },
];

export interface DemoState {
  pkiDir: string;
  anchorsFile: string;
  created: boolean;
}

/**
 * Sets up the demo once per data directory: a throwaway PKI (RSA root and intermediate),
 * an RSA endorser and an ECDSA P-256 endorser, three sample images each, and a published
 * catalog per endorser. Later starts only republish a catalog that is about to expire.
 */
export async function ensureDemo(inst: Instance): Promise<DemoState> {
  const pkiDir = path.join(inst.config.dataDir, 'demo-pki');
  const anchorsFile = path.join(pkiDir, 'anchors.pem');
  const existing = new Set((await listEndorsers(inst)).map((e) => e.name));
  const created = !DEMO_ENDORSERS.every((n) => existing.has(n));
  if (created) {
    const now = inst.now();
    const h = await buildDemoHierarchy({
      keyAlgorithm: 'RSA-2048',
      now,
      endorserSubject: 'CN=vmic demo endorser (RSA),O=vmic demo,C=CH',
    });
    await writeDemoHierarchy(h, pkiDir);
    const intermediatePem = derToPem(h.intermediate.certificate, 'CERTIFICATE');
    const ec = await generateKeyPair('ECDSA-P256');
    const ecCert = await issueCertificate({
      subject: DEMO_SUBJECTS['demo-ecdsa'],
      publicKey: ec.publicKey,
      issuer: h.intermediate,
      notBefore: new Date(now.getTime() - 3600_000),
      notAfter: new Date(now.getTime() + 365 * DAY),
      keyUsage: ['digitalSignature'],
    });
    const ecKeyPem = derToPem(await exportPrivateKeyPkcs8(ec.privateKey), 'PRIVATE KEY');
    fs.writeFileSync(path.join(pkiDir, 'endorser-ecdsa.pem'), derToPem(ecCert, 'CERTIFICATE'));
    fs.writeFileSync(path.join(pkiDir, 'endorser-ecdsa.key'), ecKeyPem, { mode: 0o600 });

    const identities = {
      'demo-rsa': {
        certificatePem: derToPem(h.endorser.certificate, 'CERTIFICATE'),
        keyPem: derToPem(await exportPrivateKeyPkcs8(h.endorser.privateKey), 'PRIVATE KEY'),
        title: 'vmic demo endorser (RSA)',
      },
      'demo-ecdsa': {
        certificatePem: derToPem(ecCert, 'CERTIFICATE'),
        keyPem: ecKeyPem,
        title: 'vmic demo endorser (ECDSA P-256)',
      },
    };
    for (const name of DEMO_ENDORSERS) {
      if (existing.has(name)) continue;
      // Published below, with the catalogs of endorsers that already existed.
      await addPublishedEndorser(inst, {
        name,
        identity: { ...identities[name], chainPem: intermediatePem },
        images: {
          synthetic: SAMPLES.map(({ size, identifier, ...metadata }) => ({
            identifier,
            size,
            metadata: {
              ...metadata,
              description: 'Synthetic sample bytes for trying vmic; not a bootable image.',
            },
          })),
        },
        actor: ACTOR,
        publish: false,
      });
    }
  }
  for (const name of DEMO_ENDORSERS) {
    const latest = await getCatalogVersion(inst, name).catch(() => undefined);
    if (!latest || Date.parse(latest.expiresAt) - inst.now().getTime() < DAY) {
      await publishCatalog(inst, { endorser: name, actor: ACTOR });
    }
  }
  return { pkiDir, anchorsFile, created };
}

const DEMO_SUBJECTS: Record<(typeof DEMO_ENDORSERS)[number], string> = {
  'demo-rsa': 'CN=vmic demo endorser (RSA),O=vmic demo,C=CH',
  'demo-ecdsa': 'CN=vmic demo endorser (ECDSA),O=vmic demo,C=CH',
};

/**
 * The site half of the demo: the same instance trusts the demo root, subscribes to both
 * demo feeds at its own public URL, and imports them (the server must be listening).
 */
export async function ensureDemoSite(inst: Instance, demo: DemoState): Promise<ImportOutcome[]> {
  const subscribed = new Set((await listSubscriptions(inst.store.db)).map((s) => s.name));
  if (subscribed.size === 0) {
    const files = ['anchors.pem', 'intermediate-ca.pem', 'crl.pem', 'root-crl.pem'];
    const pem = files.map((f) => fs.readFileSync(path.join(demo.pkiDir, f), 'utf8')).join('');
    await addTrustMaterial(inst, pem, ACTOR);
  }
  for (const name of DEMO_ENDORSERS) {
    if (subscribed.has(name)) continue;
    await subscribe(inst, {
      url: `${inst.config.publicUrl}/feeds/${name}/`,
      expectSubject: DEMO_SUBJECTS[name],
      name,
      actor: ACTOR,
    });
  }
  return runImport(inst, { actor: ACTOR });
}
