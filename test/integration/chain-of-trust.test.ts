import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  derToPem,
  exportPrivateKeyPkcs8,
  generateKeyPair,
  issueCertificate,
  type DemoHierarchy,
} from '../../pki/index.ts';
import { addEndorser } from '../../catalog/endorsers.ts';
import { withdrawImage } from '../../catalog/images.ts';
import { publishCatalog } from '../../catalog/publish.ts';
import { adoptImage } from '../../catalog/adopt.ts';
import { subscribe } from '../../catalog/site/subscriptions.ts';
import { runImport } from '../../catalog/site/import-run.ts';
import { fetchImages } from '../../catalog/site/fetch-images.ts';
import { approveImage } from '../../catalog/site/approvals.ts';
import { decideDeployment } from '../../catalog/site/gate.ts';
import { publishWith } from './helpers/log-instances.ts';
import { describeDecision } from '../../scripts/cli/commands/check.ts';
import { previewPublish } from '../../catalog/publish-preview.ts';
import { cmsVerifySignature } from '../../pki/index.ts';
import { readImportedCatalog } from '../../catalog/rdf/canonical-check.ts';
import { checkProvenance } from '../../catalog/site/provenance-check.ts';
import { readPolicy } from '../../catalog/site/policy.ts';
import { loadTrustMaterial } from '../../catalog/site/trust-store.ts';
import { httpFeedFetcher } from '../../catalog/site/feed-fetcher.ts';
import {
  addPublishedEndorser,
  demoEndorserIdentity,
} from '../../scripts/fixtures/published-endorser.ts';
import {
  buildDemoHierarchy,
  ENDORSER_SUBJECT,
  removeDirs,
  serve,
  siteAt,
  tempDir,
  type Served,
} from './helpers/log-instances.ts';

/*
 * The VMIC chain of trust (issue 19), three real instances on loopback: endorser A
 * (`cern`) publishes; B imports A's catalog, verifies and approves alma9, adopts it into
 * its own endorser `desy` and publishes; C subscribes to B only and sees the chain. A
 * withdraws alma9: B's next publish drops it, C's next import makes it not deployable.
 * With --verify-provenance, C checks A's catalog itself: refused when A is unreachable or
 * when B claims an origin whose catalog lists other bytes.
 */
const B_SUBJECT = 'CN=Site B Endorser,O=vmic demo,C=CH';
let h: DemoHierarchy;
let a: Served;
let b: Served;
let c: Served;

async function identityFor(subject: string) {
  const keys = await generateKeyPair('ECDSA-P256');
  const now = Date.now();
  const certificate = await issueCertificate({
    subject,
    publicKey: keys.publicKey,
    issuer: h.intermediate,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 90 * 86400_000),
    keyUsage: ['digitalSignature'],
  });
  return {
    certificatePem: derToPem(certificate, 'CERTIFICATE'),
    keyPem: derToPem(await exportPrivateKeyPkcs8(keys.privateKey), 'PRIVATE KEY'),
    chainPem: derToPem(h.intermediate.certificate, 'CERTIFICATE'),
  };
}

/** Import, fetch and approve everything of a subscription: a site making images deployable. */
async function takeIn(s: Served, subscription: string, images: string[]) {
  const [r] = await runImport(s.inst, { subscription, actor: 'test' });
  assert.equal(r?.status === 'failed' ? r.code : 'ok', 'ok', r?.message);
  await fetchImages(s.inst, { subscription, actor: 'test' });
  for (const image of images) await approveImage(s.inst, { image, subscription, actor: 'ops' });
  return r!;
}

before(async () => {
  h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  a = await serve(tempDir('chain-a'));
  await addPublishedEndorser(a.inst, {
    name: 'cern',
    identity: await demoEndorserIdentity(h),
    images: {
      synthetic: [{ identifier: 'alma9', metadata: { title: 'AlmaLinux 9' }, size: 4096 }],
    },
    actor: 'test',
  });
  await publishWith(a.inst, 'debian12', 'debian'); // catalog 2: alma9 and debian12
  b = await siteAt(h, 'chain-b');
  c = await siteAt(h, 'chain-c');
  await addEndorser(b.inst, { name: 'desy', ...(await identityFor(B_SUBJECT)), actor: 'test' });
  await subscribe(b.inst, {
    url: `${a.url}/feeds/cern/`,
    expectSubject: ENDORSER_SUBJECT,
    actor: 'test',
  });
  await takeIn(b, 'cern', ['alma9']);
});

after(async () => {
  for (const s of [a, b, c]) await s?.close();
  removeDirs(...[a, b, c].map((s) => s.dir));
});

test('B adopts A’s image, only once it is deployable at B, and C imports it from B with the chain', async () => {
  // debian12 is imported and fetched at B but not approved: not deployable, not adoptable.
  await assert.rejects(
    adoptImage(b.inst, {
      subscription: 'cern',
      identifier: 'debian12',
      endorser: 'desy',
      actor: 'b',
    }),
    (e: Error & { code?: string }) => e.code === 'NOT_APPROVED',
  );
  const adopted = await adoptImage(b.inst, {
    subscription: 'cern',
    identifier: 'alma9',
    endorser: 'desy',
    actor: 'b-admin',
  });
  assert.equal(adopted.storedHere, true, 'the bytes are served from B');
  assert.equal(adopted.derivedFrom?.image, `${a.url}/feeds/cern/images/alma9`);
  assert.equal(adopted.derivedFrom?.catalog, `${a.url}/feeds/cern/catalog`);
  assert.equal(adopted.derivedFrom?.sequence, 2);
  assert.equal(adopted.derivedFrom?.x509Subject, ENDORSER_SUBJECT);
  await publishCatalog(b.inst, { endorser: 'desy', actor: 'b-admin' });

  await subscribe(c.inst, { url: `${b.url}/feeds/desy/`, expectSubject: B_SUBJECT, actor: 'test' });
  await takeIn(c, 'desy', ['alma9']);
  const decision = await decideDeployment(c.inst, 'alma9', { subscription: 'desy' });
  assert.equal(decision.deployable, true, JSON.stringify(decision.reasons));
  // The chain, as the gate answers it and `vmic check` prints it.
  assert.equal(decision.catalog?.signer, B_SUBJECT);
  assert.equal(decision.derivedFrom?.x509Subject, ENDORSER_SUBJECT);
  assert.ok(
    describeDecision(decision).some((l) =>
      l.startsWith(
        `  chain: endorsed by ${B_SUBJECT}, derived from ${ENDORSER_SUBJECT}'s catalog 2 (${a.url}/feeds/cern/catalog`,
      ),
    ),
    describeDecision(decision).join('\n'),
  );
  const row = await c.inst.store.db
    .selectFrom('site_images')
    .select(['derived_from', 'sha256', 'download_url'])
    .where('identifier', '=', 'alma9')
    .executeTakeFirstOrThrow();
  assert.equal(row.sha256, adopted.sha256);
  assert.ok(row.download_url.startsWith(b.url), 'C downloads from B');
  const chain = JSON.parse(row.derived_from ?? '{}') as { catalog?: string; sequence?: number };
  assert.deepEqual([chain.catalog, chain.sequence], [`${a.url}/feeds/cern/catalog`, 2]);
});

test('with --verify-provenance C checks A’s catalog itself; refused when A is down', async () => {
  await subscribe(c.inst, {
    url: `${b.url}/feeds/desy/`,
    name: 'desy-checked',
    expectSubject: B_SUBJECT,
    verifyProvenance: true,
    actor: 'test',
  });
  const [ok] = await runImport(c.inst, { subscription: 'desy-checked', actor: 'test' });
  assert.equal(ok?.status, 'applied', ok?.message);

  await a.stop();
  try {
    await subscribe(c.inst, {
      url: `${b.url}/feeds/desy/`,
      name: 'desy-a-down',
      expectSubject: B_SUBJECT,
      verifyProvenance: true,
      actor: 'test',
    });
    const [down] = await runImport(c.inst, { subscription: 'desy-a-down', actor: 'test' });
    assert.equal(down?.code, 'PROVENANCE_UNVERIFIED', down?.message);
    assert.match(
      down?.message ?? '',
      /alma9: derived from .*could not be verified here \(FETCH_FAILED/,
    );
    const held = await c.inst.store.db
      .selectFrom('site_catalogs')
      .innerJoin('subscriptions', 'subscriptions.id', 'site_catalogs.subscription_id')
      .select('site_catalogs.sequence')
      .where('subscriptions.name', '=', 'desy-a-down')
      .execute();
    assert.deepEqual(held, [], 'nothing of the catalog was applied');
  } finally {
    await a.restart();
  }
});

test('an origin whose catalog lists other bytes, or another version of it, is refused', async () => {
  // B's published catalog as C reads it, with the origin a dishonest B could claim: A's
  // debian12 (other bytes under that IRI), or A's catalog with another hash. The check
  // fetches A's real catalog from A's server and verifies it under C's own trust.
  const p7m = Buffer.from(await (await fetch(`${b.url}/feeds/desy/catalog.p7m`)).arrayBuffer());
  const doc = await readImportedCatalog((await cmsVerifySignature({ cms: p7m })).content);
  const ctx = {
    time: new Date(),
    policy: await readPolicy(c.inst.store.db),
    trust: await loadTrustMaterial(c.inst.store.db),
    fetcher: httpFeedFetcher,
  };
  assert.deepEqual(await checkProvenance(doc, ctx), { checked: 1 }, 'the truth passes');
  const image = doc.images.find((i) => i.identifier === 'alma9')!;
  const truth = image.derivedFrom!;
  image.derivedFrom = { ...truth, image: `${a.url}/feeds/cern/images/debian12` };
  await assert.rejects(checkProvenance(doc, ctx), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'PROVENANCE_UNVERIFIED');
    assert.match(e.message, /lists other bytes/);
    return true;
  });
  image.derivedFrom = { ...truth, catalogSha256: 'ab'.repeat(32) };
  await assert.rejects(checkProvenance(doc, ctx), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'PROVENANCE_UNVERIFIED');
    assert.match(e.message, /HASH_MISMATCH/);
    return true;
  });
  image.derivedFrom = { ...truth, x509Subject: 'CN=Someone Else,O=vmic demo,C=CH' };
  await assert.rejects(
    checkProvenance(doc, ctx),
    (e: Error & { code?: string }) => e.code === 'PROVENANCE_UNVERIFIED',
  );
});

test('A withdraws the image: B’s next publish drops it, C’s next import makes it not deployable', async () => {
  await withdrawImage(a.inst, { identifier: 'alma9', endorser: 'cern', actor: 'a' });
  await publishCatalog(a.inst, { endorser: 'cern', actor: 'a' });
  const [bImport] = await runImport(b.inst, { subscription: 'cern', actor: 'test' });
  assert.equal(bImport?.status, 'applied', bImport?.message);
  // The publish preview says so before anything is signed.
  const preview = await previewPublish(b.inst, 'desy');
  assert.deepEqual(
    preview.withdrawnUpstream.map((l) => l.identifier),
    ['alma9'],
  );
  assert.deepEqual(
    preview.withdrawn.map((w) => w.identifier),
    ['alma9'],
  );
  const v = await publishCatalog(b.inst, { endorser: 'desy', actor: 'b-admin' });
  assert.deepEqual(
    v.withdrawnUpstream?.map((l) => [l.identifier, l.from, l.why]),
    [['alma9', 'cern/alma9', 'withdrawn upstream']],
  );
  const [cImport] = await runImport(c.inst, { subscription: 'desy', actor: 'test' });
  assert.equal(cImport?.status, 'applied', cImport?.message);
  const decision = await decideDeployment(c.inst, 'alma9', { subscription: 'desy' });
  assert.equal(decision.deployable, false);
  assert.deepEqual(
    decision.reasons.map((r) => r.code),
    ['NOT_ENDORSED'],
  );
});
