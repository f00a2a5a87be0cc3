import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { derToPem, type DemoHierarchy } from '../../../pki/index.ts';
import { migrateImage } from '../../../catalog/migration/migrate.ts';
import { listPeers, removePeer } from '../../../catalog/migration/peers.ts';
import { listMigrations } from '../../../catalog/migration/records.ts';
import { setSiteIdentity } from '../../../catalog/migration/site-identity.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import {
  SUBJECTS,
  buildDemoHierarchy,
  deployableImageAt,
  peerWith,
  siteCredential,
  startSite,
  type Site,
} from './two-sites.ts';

// Issue 18, rotation of site identities: a peer added with --url fetches the certificate
// at each transfer and pins its subject and issuing CA (name and key). A site that rotates
// to a new key under the same CA needs nothing from its peers; a rotation to another CA is
// refused until the peer's operator acts, and the refusal says what to run.

let h: DemoHierarchy;
let a: Site;
let b: Site;

before(async () => {
  h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  a = await startSite(h, SUBJECTS.a, 'RSA-2048');
  b = await startSite(h, SUBJECTS.b, 'ECDSA-P256');
  await deployableImageAt(a, h, 256 * 1024);
  await peerWith(a, 'site-b', { url: b.url }, SUBJECTS.b);
  await peerWith(b, 'site-a', { url: a.url }, SUBJECTS.a);
});

after(async () => {
  await a?.cleanup();
  await b?.cleanup();
});

async function rotate(site: Site, ca: DemoHierarchy, subject: string): Promise<string> {
  const id = await siteCredential(ca, subject, 'RSA-2048');
  await setSiteIdentity(site.inst, {
    ...id,
    chainPem: derToPem(ca.intermediate.certificate, 'CERTIFICATE'),
    actor: 'test',
  });
  return id.certificatePem;
}

const pinOf = async (site: Site, peer: string) =>
  (await listPeers(site.inst)).find((p) => p.name === peer)!.issuerPin;

test('a rotated site certificate under the same CA is accepted by its peers with no action', async () => {
  const first = await migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' });
  assert.ok(first.migrationId);
  const pinned = await pinOf(b, 'site-a');
  assert.match(pinned.keyId ?? '', /^sha256:/, 'B pinned the issuing CA of A on first use');

  const before = (
    await a.inst.store.db
      .selectFrom('site_identity')
      .select('certificate_pem')
      .executeTakeFirstOrThrow()
  ).certificate_pem;
  const rotated = await rotate(a, h, SUBJECTS.a);
  assert.notEqual(rotated, before, 'A has a new certificate and key');

  const second = await migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' });
  assert.notEqual(second.migrationId, first.migrationId);
  const received = (await listMigrations(b.inst)).filter(
    (m) => m.direction === 'incoming' && m.state !== 'refused',
  );
  assert.equal(received.length, 2, 'B received both migrations');
  assert.deepEqual(await pinOf(b, 'site-a'), pinned, "B's pin did not change");
});

test('the other direction: A, pinning B, accepts B rotated under the same CA', async () => {
  // B sends nothing here (it holds no deployable image); A fetches B's identity at each
  // transfer and checks it against its pin of B, which is what a rotation of B meets.
  const pinned = await pinOf(a, 'site-b');
  await rotate(b, h, SUBJECTS.b);
  const r = await migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' });
  assert.ok(r.migrationId);
  assert.deepEqual(await pinOf(a, 'site-b'), pinned);
});

type Refusal = { code: string; rule?: string; message: string };
const refusal = (p: Promise<unknown>): Promise<Refusal> =>
  p.then(
    () => assert.fail('migrated'),
    (e: Refusal) => e,
  );

function trustPem(ca: DemoHierarchy): string {
  return (
    [ca.root.certificate, ca.intermediate.certificate]
      .map((c) => derToPem(c, 'CERTIFICATE'))
      .join('') + [ca.crl, ca.rootCrl].map((c) => derToPem(c, 'X509 CRL')).join('')
  );
}

test('a rotation of A to a foreign CA is refused at B, and the refusal says what to run', async () => {
  // The foreign CA has the demo CA's very names: only its key tells it apart.
  const foreign = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  await rotate(a, foreign, SUBJECTS.a);
  const readd = `vmic peer remove site-a && vmic peer add site-a --url ${a.url} --expect-subject '${SUBJECTS.a}'`;

  // B does not trust the new CA: refused by the chain, with the commands to run at B.
  const untrusted = await refusal(
    migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' }),
  );
  assert.equal(untrusted.code, 'CHAIN_UNTRUSTED');
  assert.equal(untrusted.rule, 'trustAnchor');
  assert.ok(untrusted.message.includes('vmic trust add NEW-CA.pem'), untrusted.message);
  assert.ok(untrusted.message.includes(readd), untrusted.message);

  // B trusts the new CA: the CA key pinned on first use still refuses, and says how to re-pin.
  await addTrustMaterial(b.inst, trustPem(foreign), 'test');
  const pinned = await refusal(
    migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' }),
  );
  assert.equal(pinned.code, 'SUBJECT_MISMATCH');
  assert.equal(pinned.rule, 'peer.issuer-key');
  assert.match(pinned.message, /another CA with the same name/);
  assert.ok(pinned.message.includes(`pin the peer again (${readd})`), pinned.message);
  // The refusals are recorded at B with the same words.
  const atB = (await listMigrations(b.inst)).filter((m) => m.state === 'refused');
  assert.deepEqual(atB.map((m) => m.reason?.code).sort(), ['CHAIN_UNTRUSTED', 'SUBJECT_MISMATCH']);
  assert.ok(atB.every((m) => m.reason?.message.includes(readd)));

  // Doing what it says: B re-adds the peer, and the next migration pins the new CA.
  const oldPin = await pinOf(b, 'site-a');
  await removePeer(b.inst, 'site-a', 'test');
  await peerWith(b, 'site-a', { url: a.url }, SUBJECTS.a);
  await migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' });
  const newPin = await pinOf(b, 'site-a');
  assert.match(newPin.keyId ?? '', /^sha256:/);
  assert.notEqual(newPin.keyId, oldPin.keyId);
});

test('the sender refuses a receiver rotated to a foreign CA, with the same advice', async () => {
  const foreign = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  await rotate(b, foreign, SUBJECTS.b);
  const readd = `vmic peer remove site-b && vmic peer add site-b --url ${b.url} --expect-subject '${SUBJECTS.b}'`;
  const untrusted = await refusal(
    migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' }),
  );
  assert.equal(untrusted.code, 'CHAIN_UNTRUSTED');
  assert.ok(untrusted.message.includes('vmic trust add NEW-CA.pem'), untrusted.message);
  assert.ok(untrusted.message.includes(readd), untrusted.message);
  await addTrustMaterial(a.inst, trustPem(foreign), 'test');
  const pinned = await refusal(
    migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' }),
  );
  assert.equal(pinned.code, 'SUBJECT_MISMATCH');
  assert.equal(pinned.rule, 'peer.issuer-key');
  assert.ok(pinned.message.includes(readd), pinned.message);
});
