import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { derToPem, exportPrivateKeyPkcs8 } from '../../../../pki/index.ts';
import {
  FIXTURE_TIME,
  NAMES,
  crlOf,
  makeCert,
  scenario,
  type Scenario,
} from '../../../fixtures/pki-fixtures.ts';
import { addTrustMaterial } from '../../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../../catalog/site/import-run.ts';
import { fetchImages } from '../../../../catalog/site/fetch-images.ts';
import { approveImage } from '../../../../catalog/site/approvals.ts';
import { setSiteIdentity } from '../../../../catalog/migration/site-identity.ts';
import { tempInstance } from '../../../helpers/temp-instance.ts';
import { signedCatalog, startFeedServer } from './signed-feed.ts';
import { randomImage, startImageServer, type ImageServer } from './image-server.ts';

const DAY = 86400_000;
export const SITE_SUBJECT = 'CN=Approval Feed Site,O=vmic test,C=CH';

/**
 * A site whose clock the test moves, subscribed to `fx` with two images: `img` fetched and
 * approved, `unfetched` listed but never downloaded (its URL answers 404). With
 * `identity`, the site has a site identity issued by the scenario's intermediate.
 */
export async function approvalFeedSite(
  pki: Scenario,
  feed: Awaited<ReturnType<typeof startFeedServer>>,
  images: ImageServer,
  opts: { identity: boolean },
) {
  let now = FIXTURE_TIME.getTime();
  const t = await tempInstance({ now: () => new Date(now), publicUrl: 'https://vmic.example.org' });
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
  const img = randomImage(32 * 1024);
  const missing = randomImage(1024);
  images.serve(`/${img.sha256}`, img.bytes);
  feed.serve(
    await signedCatalog({
      signer: pki.leaf,
      chain: [pki.intermediate.certificate],
      sequence: 1,
      issued: new Date(now - DAY),
      expires: new Date(now + 10 * DAY),
      images: [
        {
          identifier: 'img',
          sha256: img.sha256,
          byteSize: img.bytes.length,
          downloadUrl: images.url(`/${img.sha256}`),
        },
        {
          identifier: 'unfetched',
          sha256: missing.sha256,
          byteSize: missing.bytes.length,
          downloadUrl: images.url(`/missing-${missing.sha256}`),
        },
      ],
    }),
  );
  assert.equal((await runImport(t.inst, { actor: 'test' }))[0]?.status, 'applied');
  assert.equal((await fetchImages(t.inst, { actor: 'test' })).totals.fetched, 1);
  await approveImage(t.inst, { image: 'img', actor: 'test' });
  if (opts.identity) {
    const site = await makeCert({ subject: SITE_SUBJECT }, pki.intermediate);
    await setSiteIdentity(t.inst, {
      certificatePem: derToPem(site.certificate, 'CERTIFICATE'),
      keyPem: derToPem(await exportPrivateKeyPkcs8(site.privateKey), 'PRIVATE KEY'),
      chainPem: derToPem(pki.intermediate.certificate, 'CERTIFICATE'),
      actor: 'test',
    });
  }
  return { ...t, img, missing, advance: (ms: number) => (now += ms), now: () => new Date(now) };
}

/**
 * The PKI scenario, endorser feed server and image server an approval-feed test file
 * shares, started before its tests and stopped after them (node:test hooks).
 */
export function approvalFeedFixtures(): {
  site(opts: { identity: boolean }): ReturnType<typeof approvalFeedSite>;
  readonly pki: Scenario;
} {
  let pki: Scenario | undefined;
  let feed: Awaited<ReturnType<typeof startFeedServer>> | undefined;
  let images: ImageServer | undefined;
  before(async () => {
    pki = await scenario();
    feed = await startFeedServer();
    images = await startImageServer();
  });
  after(async () => {
    await feed?.stop();
    await images?.close();
  });
  return {
    site: (opts) => approvalFeedSite(pki!, feed!, images!, opts),
    get pki() {
      return pki!;
    },
  };
}
