import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { migrateImage } from '../../../catalog/migration/migrate.ts';
import { decideDeployment } from '../../../catalog/site/gate.ts';
import { subscribe } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { approveImage } from '../../../catalog/site/approvals.ts';
import { setPolicy } from '../../../catalog/site/policy.ts';
import {
  derToPem,
  exportPrivateKeyPkcs8,
  generateKeyPair,
  issueCertificate,
  type DemoHierarchy,
} from '../../../pki/index.ts';
import { addPublishedEndorser } from '../../../scripts/fixtures/published-endorser.ts';
import {
  SUBJECTS,
  buildDemoHierarchy,
  deployableImageAt,
  peerWith,
  startSite,
  type Site,
} from './two-sites.ts';

// Issue 18 item 3: the endorsement quorum applies at the receiver of a migration, whose
// own gate decides whether the incoming image may run there.
const SIZE = 256 * 1024;
const DESY = 'CN=vmic Second Endorser,O=vmic demo,C=DE';
let h: DemoHierarchy;
let a: Site;
let b: Site;

/** A second endorser at A ("desy") listing alma9 with other bytes than cern's. */
async function publishDesy(): Promise<void> {
  const keys = await generateKeyPair('ECDSA-P256');
  const now = Date.now();
  const cert = await issueCertificate({
    subject: DESY,
    publicKey: keys.publicKey,
    issuer: h.intermediate,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 30 * 86400_000),
    keyUsage: ['digitalSignature'],
  });
  await addPublishedEndorser(a.inst, {
    name: 'desy',
    identity: {
      certificatePem: derToPem(cert, 'CERTIFICATE'),
      keyPem: derToPem(await exportPrivateKeyPkcs8(keys.privateKey), 'PRIVATE KEY'),
      chainPem: derToPem(h.intermediate.certificate, 'CERTIFICATE'),
    },
    images: {
      synthetic: [
        {
          identifier: 'alma9',
          metadata: { title: 'AlmaLinux 9 (DESY build)', arch: 'x86_64', format: 'qcow2' },
          size: SIZE,
          seed: 'other-bytes',
        },
      ],
    },
    actor: 'test',
  });
}

before(async () => {
  h = await buildDemoHierarchy({ keyAlgorithm: 'RSA-2048', now: new Date() });
  a = await startSite(h, SUBJECTS.a, 'RSA-2048');
  b = await startSite(h, SUBJECTS.b, 'RSA-2048');
  await deployableImageAt(a, h, SIZE);
  await publishDesy();
  await peerWith(a, 'site-b', { url: b.url }, SUBJECTS.b);
  await peerWith(b, 'site-a', { url: a.url }, SUBJECTS.a);
  for (const [name, expectSubject] of [
    ['cern', 'CN=vmic Demo Endorser,O=vmic demo,C=CH'],
    ['desy', DESY],
  ] as const)
    await subscribe(b.inst, { url: `${a.url}/feeds/${name}/`, expectSubject, actor: 'test' });
  for (const o of await runImport(b.inst, { actor: 'test' }))
    assert.equal(o.status, 'applied', `${o.subscription}: ${o.code} ${o.message}`);
  await setPolicy(b.inst, 'endorsement-quorum', '2 of cern,desy', 'test');
});

after(async () => {
  await a?.cleanup();
  await b?.cleanup();
});

test('the receiver refuses a migrated image that misses its endorsement quorum', async () => {
  // A has no quorum: its gate lets the image go.
  await migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' });
  await approveImage(b.inst, { image: 'alma9', subscription: 'cern', actor: 'test' });
  const d = await decideDeployment(b.inst, 'alma9', { subscription: 'cern' });
  assert.equal(d.bytes?.source, 'migration', 'the bytes at B came from the migration');
  assert.equal(d.deployable, false);
  assert.deepEqual(
    d.reasons.map((r) => r.code),
    ['QUORUM_NOT_MET'],
  );
  const desy = d.endorsementQuorum?.notEndorsing.find((n) => n.subscription === 'desy');
  assert.match(desy?.why ?? '', /^another SHA-256: sha256:[0-9a-f]{64}$/);
  assert.deepEqual(d.endorsementQuorum?.endorsing, ['cern']);
  // Without the quorum the same image is deployable at B: the quorum alone refused it.
  await setPolicy(b.inst, 'endorsement-quorum', undefined, 'test');
  assert.equal(
    (await decideDeployment(b.inst, 'alma9', { subscription: 'cern' })).deployable,
    true,
  );
});
