import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  buildDemoHierarchy,
  derToPem,
  describeCertificate,
  exportPrivateKeyPkcs8,
  generateKeyPair,
  issueCertificate,
  type DemoHierarchy,
} from '../../pki/index.ts';
import { addCosigner } from '../../catalog/cosign/cosigners.ts';
import { setThreshold } from '../../catalog/cosign/threshold.ts';
import { signPending } from '../../catalog/cosign/sign.ts';
import { publishCatalog } from '../../catalog/publish.ts';
import { addTrustMaterial } from '../../catalog/site/trust-store.ts';
import { subscribe } from '../../catalog/site/subscriptions.ts';
import { runImport } from '../../catalog/site/import-run.ts';
import {
  addPublishedEndorser,
  demoEndorserIdentity,
} from '../../scripts/fixtures/published-endorser.ts';
import { removeDirs, serve, tempDir, type Served } from './helpers/log-instances.ts';

/*
 * Both halves of a co-signed catalog (issue 18): an endorser that needs 2 signatures
 * (its own and a security team's) publishes a pending catalog, the team signs, the
 * catalog is served with two SignerInfos; a site pinned to both subjects with
 * --expect-signers 2 imports it (transparency log required, as by default), one that
 * expects a third party refuses it with THRESHOLD_NOT_MET.
 */
const ENDORSER = 'CN=vmic Demo Endorser,O=vmic demo,C=CH';
const TEAM = 'CN=Security Team,O=vmic demo,C=CH';
const PARTNER = 'CN=Partner Lab,O=vmic demo,C=CH';
let h: DemoHierarchy;
let endorser: Served;
let site: Served;

before(async () => {
  h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  endorser = await serve(tempDir('cosign-endorser'));
  site = await serve(tempDir('cosign-site'));
  await addPublishedEndorser(endorser.inst, {
    name: 'cern',
    identity: await demoEndorserIdentity(h),
    images: {
      synthetic: [{ identifier: 'alma9', metadata: { title: 'AlmaLinux 9' }, size: 4096 }],
    },
    actor: 'test',
    publish: false,
  });
  const keys = await generateKeyPair('ECDSA-P256');
  const now = Date.now();
  const teamCert = await issueCertificate({
    subject: TEAM,
    publicKey: keys.publicKey,
    issuer: h.intermediate,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 30 * 86400_000),
    keyUsage: ['digitalSignature'],
  });
  await addCosigner(endorser.inst, {
    endorser: 'cern',
    name: 'security',
    certificatePem: derToPem(teamCert, 'CERTIFICATE'),
    keyPem: derToPem(await exportPrivateKeyPkcs8(keys.privateKey), 'PRIVATE KEY'),
    chainPem: derToPem(h.intermediate.certificate, 'CERTIFICATE'),
    actor: 'test',
  });
  await setThreshold(endorser.inst, { endorser: 'cern', threshold: 2, actor: 'test' });
  const trust =
    [h.root.certificate, h.intermediate.certificate]
      .map((c) => derToPem(c, 'CERTIFICATE'))
      .join('') + [h.crl, h.rootCrl].map((c) => derToPem(c, 'X509 CRL')).join('');
  await addTrustMaterial(site.inst, trust, 'test');
  assert.equal(describeCertificate(teamCert).subject, TEAM);
});

after(async () => {
  await endorser?.close();
  await site?.close();
  removeDirs(endorser.dir, site.dir);
});

test('pending until the team signs; then a 2-of-2 site imports it and a 3-signer site refuses', async () => {
  const pending = await publishCatalog(endorser.inst, { endorser: 'cern', actor: 'test' });
  assert.equal(pending.pending?.needed, 1);
  assert.equal((await fetch(`${endorser.url}/feeds/cern/catalog.p7m`)).status, 404);

  const signed = await signPending(endorser.inst, {
    endorser: 'cern',
    as: 'security',
    actor: 'team',
  });
  assert.equal(signed.published?.sequence, 1);

  await subscribe(site.inst, {
    url: `${endorser.url}/feeds/cern/`,
    expectSubject: ENDORSER,
    coSigners: [TEAM],
    expectSigners: 2,
    actor: 'test',
  });
  const [ok] = await runImport(site.inst, { subscription: 'cern', actor: 'test' });
  assert.equal(ok?.status, 'applied', ok?.message);
  assert.ok(ok?.log?.treeSize, 'proved in the endorser log too');

  await subscribe(site.inst, {
    url: `${endorser.url}/feeds/cern/`,
    name: 'cern-three',
    expectSubject: ENDORSER,
    coSigners: [TEAM, PARTNER],
    expectSigners: 3,
    actor: 'test',
  });
  const [refused] = await runImport(site.inst, { subscription: 'cern-three', actor: 'test' });
  assert.equal(refused?.code, 'THRESHOLD_NOT_MET', refused?.message);
  assert.match(refused?.message ?? '', /3 distinct pinned signers needed, 2 counted/);
});
