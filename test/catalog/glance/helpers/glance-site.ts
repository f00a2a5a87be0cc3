import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { derToPem } from '../../../../pki/index.ts';
import { NAMES, crlOf, scenario, type Scenario } from '../../../fixtures/pki-fixtures.ts';
import { addTrustMaterial } from '../../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../../catalog/site/import-run.ts';
import { fetchImages } from '../../../../catalog/site/fetch-images.ts';
import { approveImage } from '../../../../catalog/site/approvals.ts';
import { tempInstance } from '../../../helpers/temp-instance.ts';
import {
  signedCatalog,
  startFeedServer,
  type CatalogImageSpec,
} from '../../site/helpers/signed-feed.ts';
import {
  randomImage,
  startImageServer,
  type ImageServer,
} from '../../site/helpers/image-server.ts';

const DAY = 86400_000;

/** The real Glance the test setup script started (test/setup/glance.sh). */
export function glanceUrl(): string {
  const url = process.env.VMIC_TEST_GLANCE_URL;
  assert.ok(
    url,
    'VMIC_TEST_GLANCE_URL is not set: run the tests with npm test (test/setup/run-tests.sh)',
  );
  return url;
}

/**
 * A site subscribed to one endorser whose catalog lists, all fetched into the site cache:
 *   `img`     qcow2, approved          → deployable
 *   `other`   raw, never approved      → not deployable
 *   `floppy`  format "floppy", approved → deployable, but with no Glance disk format
 * Each site has its own public URL, so its Glance images (`vmic_site`) are its own in the
 * one Glance that all tests share.
 */
export async function glanceSite(pki: Scenario, images: ImageServer) {
  const feed = await startFeedServer();
  // The real clock: `vmic` commands run by the tests (child processes) read it too.
  const now = Date.now();
  const publicUrl = `https://site-${randomUUID()}.example.org`;
  const t = await tempInstance({ publicUrl });
  const pem = [pki.root.certificate, pki.intermediate.certificate]
    .map((c) => derToPem(c, 'CERTIFICATE'))
    .join('');
  const crl = await crlOf(pki.intermediate, [], {
    thisUpdate: new Date(now - DAY),
    nextUpdate: new Date(now + 6 * DAY),
  });
  await addTrustMaterial(t.inst, pem + derToPem(crl, 'X509 CRL'), 'test');
  await subscribe(t.inst, {
    url: feed.url,
    expectSubject: NAMES.leaf,
    name: 'fx',
    actor: 'test',
    log: 'off',
  });
  const bytes = {
    img: randomImage(48 * 1024),
    other: randomImage(16 * 1024),
    floppy: randomImage(8 * 1024),
  };
  const spec = (identifier: keyof typeof bytes, format: string): CatalogImageSpec => {
    images.serve(`/${bytes[identifier].sha256}`, bytes[identifier].bytes);
    return {
      identifier,
      title: `Glance test ${identifier}`,
      sha256: bytes[identifier].sha256,
      byteSize: bytes[identifier].bytes.length,
      downloadUrl: images.url(`/${bytes[identifier].sha256}`),
      format,
    };
  };
  const all = [spec('img', 'qcow2'), spec('other', 'raw'), spec('floppy', 'floppy')];
  /** Publishes catalog `sequence` listing `list` and imports it. */
  const publish = async (sequence: number, list: CatalogImageSpec[]) => {
    feed.serve(
      await signedCatalog({
        signer: pki.leaf,
        chain: [pki.intermediate.certificate],
        sequence,
        issued: new Date(now - 3600_000 + sequence * 1000),
        expires: new Date(now + 10 * DAY),
        images: list,
      }),
    );
    assert.equal((await runImport(t.inst, { actor: 'test' }))[0]?.status, 'applied');
  };
  await publish(1, all);
  assert.equal((await fetchImages(t.inst, { actor: 'test' })).totals.fetched, 3);
  await approveImage(t.inst, { image: 'img', actor: 'test' });
  await approveImage(t.inst, { image: 'floppy', actor: 'test' });
  const cleanup = async () => {
    await feed.stop();
    await t.cleanup();
  };
  return { ...t, cleanup, publicUrl, bytes, all, publish };
}

/** The PKI and image server a Glance test file shares. */
export function glanceFixtures(): { site(): ReturnType<typeof glanceSite> } {
  let pki: Scenario | undefined;
  let images: ImageServer | undefined;
  before(async () => {
    const now = Date.now();
    const valid = { notBefore: new Date(now - 30 * DAY), notAfter: new Date(now + 365 * DAY) };
    pki = await scenario({ root: valid, intermediate: valid, leaf: valid });
    images = await startImageServer();
  });
  after(async () => {
    await images?.close();
  });
  return { site: () => glanceSite(pki!, images!) };
}

/** A Glance image as its API returns it (fields the tests read). */
export type RawImage = Record<string, unknown> & { id: string; status: string };

/** Direct calls to the test Glance, outside vmic's client: what an operator would see. */
export const glance = {
  async list(site: string): Promise<RawImage[]> {
    const r = await fetch(
      `${glanceUrl()}/v2/images?limit=1000&vmic_site=${encodeURIComponent(site)}`,
    );
    assert.equal(r.status, 200);
    return ((await r.json()) as { images: RawImage[] }).images;
  },
  async get(id: string): Promise<RawImage | undefined> {
    const r = await fetch(`${glanceUrl()}/v2/images/${id}`);
    if (r.status === 404) return undefined;
    assert.equal(r.status, 200);
    return (await r.json()) as RawImage;
  },
  async bytes(id: string): Promise<Buffer> {
    const r = await fetch(`${glanceUrl()}/v2/images/${id}/file`);
    assert.equal(r.status, 200);
    return Buffer.from(await r.arrayBuffer());
  },
  async create(body: Record<string, string>): Promise<RawImage> {
    const r = await fetch(`${glanceUrl()}/v2/images`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.equal(r.status, 201, await r.clone().text());
    return (await r.json()) as RawImage;
  },
  async patch(id: string, ops: { op: string; path: string; value: string }[]): Promise<void> {
    const r = await fetch(`${glanceUrl()}/v2/images/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
      body: JSON.stringify(ops),
    });
    assert.equal(r.status, 200, await r.clone().text());
  },
  async remove(id: string): Promise<void> {
    await fetch(`${glanceUrl()}/v2/images/${id}`, { method: 'DELETE' });
  },
};
