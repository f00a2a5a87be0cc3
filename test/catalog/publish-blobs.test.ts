import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  getCatalogVersion,
  publishCatalog,
  type CatalogVersionFiles,
} from '../../catalog/index.ts';
import { isPublishedBlob } from '../../catalog/published-blobs.ts';
import { previewPublish } from '../../catalog/publish-preview.ts';
import { sweepOrphanBlobs } from '../../catalog/cleanup/orphan-blobs.ts';
import { parseCanonicalCatalog } from '../../catalog/rdf/index.ts';
import { buildDemoHierarchy, derToPem, type DemoHierarchy } from '../../pki/index.ts';
import {
  addPublishedEndorser,
  demoEndorserIdentity,
} from '../../scripts/fixtures/published-endorser.ts';
import { opensslCmsVerify } from '../helpers/openssl/index.ts';
import { tempInstance } from '../helpers/temp-instance.ts';
import { readStored, storedFile, storedNames } from './blobs/stored-objects.ts';

const FILES = ['nquads', 'turtle', 'jsonld', 'p7m', 'p7s', 'image_list'] as const;
const IMAGES = 3000;

const sha256 = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');

describe('a published version lives in the blob store (issue 14)', () => {
  let h: DemoHierarchy;
  let t: Awaited<ReturnType<typeof tempInstance>>;
  let files: CatalogVersionFiles;
  let anchors: string;

  before(async () => {
    h = await buildDemoHierarchy({ keyAlgorithm: 'RSA-2048', now: new Date() });
    t = await tempInstance({ publicUrl: 'https://endorser.example' });
    await addPublishedEndorser(t.inst, {
      name: 'bench',
      identity: await demoEndorserIdentity(h),
      images: { rows: IMAGES },
      actor: 'test',
    });
    files = await getCatalogVersion(t.inst, 'bench');
    anchors = path.join(t.dir, 'anchors.pem');
    fs.writeFileSync(anchors, derToPem(h.root.certificate, 'CERTIFICATE'));
  });
  after(() => t.cleanup());

  const row = () =>
    t.inst.store.db.selectFrom('catalog_versions').selectAll().executeTakeFirstOrThrow();

  test('the row names each file by SHA-256 and size, holds none inline, and each has a blobs row', async () => {
    const r = await row();
    assert.equal(r.nquads, '');
    assert.equal(r.turtle, '');
    assert.equal(r.jsonld, '');
    assert.equal(r.p7m.length, 0);
    assert.equal(r.image_list, null);
    assert.equal(r.nquads_sha256, r.content_sha256);
    for (const f of FILES) {
      const hash = r[`${f}_sha256`]!;
      const bytes = await readStored(t.inst.blobs, hash);
      assert.equal(sha256(bytes), hash, f);
      assert.equal(bytes.length, r[`${f}_size`], f);
      const blob = await t.inst.store.db
        .selectFrom('blobs')
        .select('byte_size')
        .where('sha256', '=', hash)
        .executeTakeFirst();
      assert.equal(blob?.byte_size, bytes.length, f);
    }
    assert.equal(sha256(Buffer.from(files.nquads)), r.content_sha256);
    assert.equal(sha256(files.p7m), r.p7m_sha256);
  });

  test('the stored CMS verifies with stock openssl, attached and detached, over the stored N-Quads', async () => {
    const r = await row();
    const nq = await storedFile(t.inst.blobs, r.nquads_sha256!);
    const attached = opensslCmsVerify(await storedFile(t.inst.blobs, r.p7m_sha256!), anchors);
    assert.ok(attached.ok, attached.stderr);
    assert.ok(attached.stdout.equals(fs.readFileSync(nq)), 'the content is the N-Quads');
    const detached = opensslCmsVerify(await storedFile(t.inst.blobs, r.p7s_sha256!), anchors, nq);
    assert.ok(detached.ok, detached.stderr);
    const doc = await parseCanonicalCatalog(Buffer.from(files.nquads));
    assert.equal(doc.images.length, IMAGES);
  });

  test('the start-up sweep of unreferenced blobs keeps them, however old', async () => {
    const later = new Date(Date.now() + 7 * 86400_000);
    assert.deepEqual(await sweepOrphanBlobs(t.inst, t.inst.store, later), []);
    const r = await row();
    for (const f of FILES) assert.ok(await t.inst.blobs.has(r[`${f}_sha256`]!), f);
  });

  test('a version stored inline (before migration 0011) is read, listed as published and previewed', async () => {
    const r = await row();
    const hashes = [...files.nquads.matchAll(/"([0-9a-f]{64})"/g)].map((m) => m[1]!);
    // The bytes of version 1, stored the way vmic stored every version before.
    await t.inst.store.db
      .insertInto('catalog_versions')
      .values({
        endorser_id: r.endorser_id,
        sequence: 2,
        issued_at: r.issued_at,
        expires_at: r.expires_at,
        image_count: r.image_count,
        nquads: files.nquads.replace(hashes[0]!, 'f'.repeat(64)),
        turtle: files.turtle,
        jsonld: files.jsonld,
        p7m: files.p7m,
        p7s: files.p7s,
        image_list: files.imageList ?? null,
        content_sha256: r.content_sha256,
      })
      .execute();
    const legacy = await getCatalogVersion(t.inst, 'bench', 2);
    assert.equal(legacy.turtle, files.turtle);
    assert.deepEqual(Buffer.from(legacy.p7m), Buffer.from(files.p7m));
    assert.ok(await isPublishedBlob(t.inst, 'f'.repeat(64)), 'found in the inline N-Quads');
    assert.ok(await isPublishedBlob(t.inst, hashes[1]!), 'found in the stored N-Quads');
    assert.ok(!(await isPublishedBlob(t.inst, 'e'.repeat(64))));
    const fromInline = await previewPublish(t.inst, 'bench');
    assert.equal(fromInline.last?.sequence, 2);
    assert.deepEqual(
      fromInline.changed.map((c) => c.fields),
      [['sha256']],
    );
    await t.inst.store.db.deleteFrom('catalog_versions').where('sequence', '=', 2).execute();
    const fromStored = await previewPublish(t.inst, 'bench');
    assert.equal(fromStored.last?.sequence, 1);
    assert.equal(fromStored.unchanged, IMAGES);
  });
});

test('a catalog over the import limit of 100,000 images is TOO_LARGE (catalog.images), and nothing is stored', async () => {
  const h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  const t = await tempInstance({ publicUrl: 'https://endorser.example' });
  try {
    await addPublishedEndorser(t.inst, {
      name: 'huge',
      identity: await demoEndorserIdentity(h),
      images: { rows: 100_001 },
      actor: 'test',
      publish: false,
    });
    await assert.rejects(publishCatalog(t.inst, { endorser: 'huge', actor: 'test' }), {
      name: 'VmicError',
      code: 'TOO_LARGE',
      rule: 'catalog.images',
    });
    assert.equal(
      (await t.inst.store.db.selectFrom('catalog_versions').selectAll().execute()).length,
      0,
    );
    assert.deepEqual(await storedNames(t.inst.blobs), []);
  } finally {
    await t.cleanup();
  }
});
