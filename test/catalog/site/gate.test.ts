import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { derToPem } from '../../../pki/index.ts';
import {
  FIXTURE_TIME,
  NAMES,
  crlOf,
  scenario,
  type Scenario,
} from '../../fixtures/pki-fixtures.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { fetchImages } from '../../../catalog/site/fetch-images.ts';
import { approveImage } from '../../../catalog/site/approvals.ts';
import { decideDeployment } from '../../../catalog/site/gate.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { signedCatalog, startFeedServer } from './helpers/signed-feed.ts';
import { randomImage, startImageServer, type ImageServer } from './helpers/image-server.ts';

const DAY = 86400_000;

let pki: Scenario;
let feed: Awaited<ReturnType<typeof startFeedServer>>;
let images: ImageServer;

before(async () => {
  pki = await scenario();
  feed = await startFeedServer();
  images = await startImageServer();
});
after(async () => {
  await feed.stop();
  await images.close();
});

/** A site whose clock the test moves, with one approved and fetched image from a catalog valid 10 days. */
async function deployableSite() {
  let now = FIXTURE_TIME.getTime();
  const t = await tempInstance({ now: () => new Date(now) });
  const pem = [pki.root.certificate, pki.intermediate.certificate]
    .map((c) => derToPem(c, 'CERTIFICATE'))
    .join('');
  await addTrustMaterial(t.inst, pem + derToPem(await crlOf(pki.intermediate), 'X509 CRL'), 'test');
  await subscribe(t.inst, {
    url: feed.url,
    expectSubject: NAMES.leaf,
    name: 'fx',
    actor: 'test',
    log: 'off',
  });
  const img = randomImage(64 * 1024);
  images.serve(`/${img.sha256}`, img.bytes);
  const catalog = (sequence: number, issued: number) =>
    signedCatalog({
      signer: pki.leaf,
      chain: [pki.intermediate.certificate],
      sequence,
      issued: new Date(issued),
      expires: new Date(issued + 10 * DAY),
      images: [
        {
          identifier: 'img',
          sha256: img.sha256,
          byteSize: img.bytes.length,
          downloadUrl: images.url(`/${img.sha256}`),
        },
      ],
    });
  feed.serve(await catalog(1, now - DAY));
  assert.equal((await runImport(t.inst, { actor: 'test' }))[0]?.status, 'applied');
  assert.equal((await fetchImages(t.inst, { actor: 'test' })).totals.failed, 0);
  await approveImage(t.inst, { image: 'img', actor: 'test' });
  const d = await decideDeployment(t.inst, 'img');
  assert.deepEqual(d.reasons, []);
  assert.equal(d.deployable, true);
  return { ...t, img, catalog, advance: (ms: number) => (now += ms), now: () => now };
}

const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

test('an expired catalog stops its images; a fresh catalog makes them deployable again', async () => {
  const s = await deployableSite();
  try {
    s.advance(12 * DAY);
    // The CRL held (7 days) is past its nextUpdate too: revocation can no longer be
    // checked, and the gate, like import, does not deploy on a stale CRL.
    assert.deepEqual(codes(await decideDeployment(s.inst, 'img')), [
      'CATALOG_EXPIRED',
      'CRL_STALE',
    ]);
    // The endorser comes back; the site also needs a CRL that is current again.
    const fresh = await crlOf(pki.intermediate, [], {
      thisUpdate: new Date(s.now() - 1000),
      nextUpdate: new Date(s.now() + 7 * DAY),
    });
    await addTrustMaterial(s.inst, derToPem(fresh, 'X509 CRL'), 'test');
    feed.serve(await s.catalog(2, s.now() - 60_000));
    assert.equal((await runImport(s.inst, { actor: 'test' }))[0]?.status, 'applied');
    const d = await decideDeployment(s.inst, 'img');
    assert.equal(d.deployable, true);
    assert.equal(d.catalog?.sequence, 2);
  } finally {
    await s.cleanup();
  }
});

test('a signer revoked after import makes its images undeployable (SIGNER_REVOKED)', async () => {
  const s = await deployableSite();
  try {
    s.advance(DAY);
    const crl = await crlOf(pki.intermediate, [pki.leaf.certificate], {
      thisUpdate: new Date(s.now() - 1000),
      nextUpdate: new Date(s.now() + 7 * DAY),
    });
    await addTrustMaterial(s.inst, derToPem(crl, 'X509 CRL'), 'test');
    assert.deepEqual(codes(await decideDeployment(s.inst, 'img')), ['SIGNER_REVOKED']);
  } finally {
    await s.cleanup();
  }
});

test('bytes that failed verification keep the image undeployable (HASH_MISMATCH)', async () => {
  const s = await deployableSite();
  try {
    // The endorser publishes a new version whose mirror serves the wrong bytes.
    const next = randomImage(32 * 1024);
    images.serve(`/${next.sha256}`, randomImage(32 * 1024).bytes);
    feed.serve(
      await signedCatalog({
        signer: pki.leaf,
        chain: [pki.intermediate.certificate],
        sequence: 2,
        issued: new Date(s.now() - 1000),
        expires: new Date(s.now() + 10 * DAY),
        images: [
          {
            identifier: 'img',
            sha256: next.sha256,
            byteSize: 32 * 1024,
            downloadUrl: images.url(`/${next.sha256}`),
          },
        ],
      }),
    );
    await runImport(s.inst, { actor: 'test' });
    const summary = await fetchImages(s.inst, { actor: 'test' });
    assert.equal(summary.totals.quarantined, 1);
    await approveImage(s.inst, { image: 'img', actor: 'test' });
    assert.deepEqual(codes(await decideDeployment(s.inst, 'img')), ['HASH_MISMATCH']);
    // The old version's hash is no longer endorsed.
    assert.deepEqual(codes(await decideDeployment(s.inst, `sha256:${s.img.sha256}`)), [
      'NOT_ENDORSED',
    ]);
  } finally {
    await s.cleanup();
  }
});

test('a second import run while one holds the lock exits at once with CONFLICT', async () => {
  const s = await deployableSite();
  try {
    const { acquireRunLock } = await import('../../../catalog/site/run-lock.ts');
    const lock = await acquireRunLock(s.inst.store.db, 'import', { now: s.inst.now });
    await assert.rejects(runImport(s.inst, { actor: 'test' }), { code: 'CONFLICT' });
    await lock.release();
    assert.equal((await runImport(s.inst, { actor: 'test' }))[0]?.status, 'unchanged');
  } finally {
    await s.cleanup();
  }
});
