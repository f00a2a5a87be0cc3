import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  buildDemoHierarchy,
  derToPem,
  exportPrivateKeyPkcs8,
  generateKeyPair,
  issueCertificate,
  type DemoHierarchy,
} from '../../pki/index.ts';
import { addTrustMaterial } from '../../catalog/site/trust-store.ts';
import { forgetIssuerPin, subscribe } from '../../catalog/site/subscriptions.ts';
import { runImport } from '../../catalog/site/import-run.ts';
import { rotateEndorser } from '../../catalog/endorser-rotate.ts';
import {
  addPublishedEndorser,
  demoEndorserIdentity,
} from '../../scripts/fixtures/published-endorser.ts';
import { opensslCmsVerify } from '../helpers/openssl/index.ts';
import { publishWith, removeDirs, serve, tempDir, type Served } from './helpers/log-instances.ts';

/*
 * Rotation without downtime (issue 18): publish with key 1, rotate to key 2 from the same
 * CA, publish again: a subscribed site imports both with no action, and every published
 * version still verifies with the certificate that signed it. A rotation to a foreign CA
 * is refused at the site with the exact commands to run, and accepted once the operator
 * ran them. A rotation may not change the subject that sites pin.
 */
const SUBJECT = 'CN=vmic Demo Endorser,O=vmic demo,C=CH';
let h: DemoHierarchy;
let endorser: Served;
let site: Served;
let work: string;

const trustOf = (x: DemoHierarchy) =>
  [x.root.certificate, x.intermediate.certificate].map((c) => derToPem(c, 'CERTIFICATE')).join('') +
  [x.crl, x.rootCrl].map((c) => derToPem(c, 'X509 CRL')).join('');

/** A new key and certificate for the endorser's subject, from `ca`'s intermediate. */
async function credentialFrom(ca: DemoHierarchy, subject = SUBJECT) {
  const keys = await generateKeyPair('RSA-2048');
  const now = Date.now();
  const certificate = await issueCertificate({
    subject,
    publicKey: keys.publicKey,
    issuer: ca.intermediate,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 90 * 86400_000),
    keyUsage: ['digitalSignature'],
  });
  return {
    certificatePem: derToPem(certificate, 'CERTIFICATE'),
    keyPem: derToPem(await exportPrivateKeyPkcs8(keys.privateKey), 'PRIVATE KEY'),
    chainPem: derToPem(ca.intermediate.certificate, 'CERTIFICATE'),
  };
}

before(async () => {
  h = await buildDemoHierarchy({ keyAlgorithm: 'RSA-2048', now: new Date() });
  work = tempDir('rotation');
  fs.writeFileSync(path.join(work, 'anchors.pem'), derToPem(h.root.certificate, 'CERTIFICATE'));
  endorser = await serve(tempDir('rot-endorser'));
  site = await serve(tempDir('rot-site'));
  await addPublishedEndorser(endorser.inst, {
    name: 'cern',
    identity: await demoEndorserIdentity(h),
    images: {
      synthetic: [{ identifier: 'alma9', metadata: { title: 'AlmaLinux 9' }, size: 4096 }],
    },
    actor: 'test',
  });
  await addTrustMaterial(site.inst, trustOf(h), 'test');
  await subscribe(site.inst, {
    url: `${endorser.url}/feeds/cern/`,
    expectSubject: SUBJECT,
    actor: 'test',
  });
  const [first] = await runImport(site.inst, { actor: 'test' });
  assert.equal(first?.status, 'applied', first?.message);
});

after(async () => {
  await endorser?.close();
  await site?.close();
  removeDirs(work, endorser.dir, site.dir);
});

/** The signer certificate's SHA-256 of a published version, as `openssl cms -verify` finds it. */
async function signerOf(sequence: number): Promise<string> {
  const p7m = path.join(work, `v${sequence}.p7m`);
  const res = await fetch(`${endorser.url}/feeds/cern/${sequence}/catalog.p7m`);
  fs.writeFileSync(p7m, Buffer.from(await res.arrayBuffer()));
  const signer = path.join(work, `v${sequence}-signer.pem`);
  const r = opensslCmsVerify(p7m, path.join(work, 'anchors.pem'));
  assert.equal(r.status, 0, `version ${sequence}: ${r.stderr.toString()}`);
  const s = spawnSync('openssl', [
    'cms',
    '-verify',
    '-binary',
    '-inform',
    'DER',
    '-in',
    p7m,
    '-CAfile',
    path.join(work, 'anchors.pem'),
    '-purpose',
    'any',
    '-signer',
    signer,
    '-out',
    '/dev/null',
  ]);
  assert.equal(s.status, 0);
  return new crypto.X509Certificate(fs.readFileSync(signer)).fingerprint256;
}

test('rotated to a new key from the same CA: the site imports with no action; both versions verify', async () => {
  const r = await rotateEndorser(endorser.inst, {
    name: 'cern',
    ...(await credentialFrom(h)),
    actor: 'test',
  });
  assert.equal(r.issuerChanged, false);
  await publishWith(endorser.inst, 'alma10', 'rotation');
  const [imported] = await runImport(site.inst, { actor: 'test' });
  assert.equal(imported?.status, 'applied', imported?.message);
  assert.equal(imported?.sequence, 2);
  const [v1, v2] = [await signerOf(1), await signerOf(2)];
  assert.notEqual(v1, v2, 'version 1 keeps the old signer, version 2 has the new one');
});

test('a rotation may not change the subject sites pin', async () => {
  await assert.rejects(
    rotateEndorser(endorser.inst, {
      name: 'cern',
      ...(await credentialFrom(h, 'CN=Someone Else,O=vmic demo,C=CH')),
      actor: 'test',
    }),
    /sites pin the subject/,
  );
});

test('rotated to a foreign CA: refused with the commands to run, accepted once they ran', async () => {
  const foreign = await buildDemoHierarchy({ keyAlgorithm: 'RSA-2048', now: new Date() });
  const r = await rotateEndorser(endorser.inst, {
    name: 'cern',
    ...(await credentialFrom(foreign)),
    actor: 'test',
  });
  assert.equal(r.issuerChanged, true);
  await publishWith(endorser.inst, 'alma11', 'foreign');

  const [untrusted] = await runImport(site.inst, { actor: 'test' });
  assert.equal(untrusted?.code, 'CHAIN_UNTRUSTED', untrusted?.message);
  assert.match(
    untrusted?.message ?? '',
    /vmic trust add NEW-CA\.pem\) and run vmic subscription repin cern/,
  );

  // Trusting the new CA is not enough: the issuer key learned on first use still holds.
  await addTrustMaterial(site.inst, trustOf(foreign), 'test');
  const [pinned] = await runImport(site.inst, { actor: 'test' });
  assert.equal(pinned?.code, 'SUBJECT_MISMATCH', pinned?.message);
  assert.match(pinned?.message ?? '', /confirm it: vmic subscription repin cern/);

  await forgetIssuerPin(site.inst, 'cern', 'operator');
  const [accepted] = await runImport(site.inst, { actor: 'test' });
  assert.equal(accepted?.status, 'applied', accepted?.message);
  assert.equal(accepted?.sequence, 3);
  assert.ok(accepted?.issuerPinned, 'the new CA is pinned now');
});
