import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeTransaction } from '../../../catalog/store/write-transaction.ts';
import { syncSiteImages, type SignedImageValues } from '../../../catalog/site/sync-site-images.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { addSubscription } from './helpers/site-rows.ts';

// Issue 14 part 4a: step 10 applies a catalog with a few statements for the whole
// difference (catalog/store/bulk-write.ts) instead of one per image. Many images, more
// than one multi-row statement and more than one `in (…)` list, so that chunk edges are
// crossed: a re-import that changes one image of many updates exactly that one, and
// images no longer listed are withdrawn, their rows kept.
const COUNT = 1234;
const T1 = new Date('2030-01-01T00:00:00.000Z');
const T2 = new Date('2030-01-02T00:00:00.000Z');
const T3 = new Date('2030-01-03T00:00:00.000Z');

let t: Awaited<ReturnType<typeof tempInstance>>;
let subscriptionId: number;

before(async () => {
  t = await tempInstance();
  subscriptionId = await addSubscription(t.inst.store.db, 'bulk');
});
after(() => t.cleanup());

function values(i: number, version = '1'): SignedImageValues {
  return {
    iri: `https://bulk.example/images/img-${i}`,
    title: `Image ${i}`,
    description: i % 2 === 0 ? null : `described ${i}`,
    version,
    os_family: 'linux',
    os_name: null,
    os_version: null,
    arch: 'x86_64',
    hypervisor: 'kvm',
    format: 'qcow2',
    byte_size: 1000 + i,
    sha256: i.toString(16).padStart(64, '0'),
    download_url: `https://bulk.example/blobs/${i}`,
  };
}

const listing = (ids: number[], valuesOf: (i: number) => SignedImageValues) =>
  ids.map((i) => ({ identifier: `img-${i}`, valuesOf: () => valuesOf(i) }));

function apply(sequence: number, ids: number[], at: Date, valuesOf = (i: number) => values(i)) {
  return writeTransaction(t.inst.store, (tx) =>
    syncSiteImages(tx, subscriptionId, sequence, listing(ids, valuesOf), at),
  );
}

const rows = async () =>
  new Map(
    (
      await t.inst.store.db
        .selectFrom('site_images')
        .selectAll()
        .where('subscription_id', '=', subscriptionId)
        .execute()
    ).map((r) => [r.identifier, r]),
  );

const all = Array.from({ length: COUNT }, (_, i) => i);

test('a first apply adds every image with its signed values', async () => {
  assert.deepEqual(await apply(1, all, T1), { added: COUNT, changed: 0, withdrawn: 0 });
  const got = await rows();
  assert.equal(got.size, COUNT);
  for (const i of [0, 1, 332, 333, 334, 999, COUNT - 1]) {
    const row = got.get(`img-${i}`)!;
    assert.deepEqual(
      { ...row, id: 0 },
      {
        ...values(i),
        id: 0,
        subscription_id: subscriptionId,
        identifier: `img-${i}`,
        status: 'endorsed',
        first_sequence: 1,
        last_sequence: 1,
        updated_at: T1.toISOString(),
        sha512: null,
        extra: null,
        expires_at: null,
        // Nothing of the chain of trust was given: each column is NULL, not left out.
        sbom_sha256: null,
        sbom_media_type: null,
        sbom_byte_size: null,
        sbom_url: null,
        conforms_to: null,
        derived_from: null,
      },
    );
  }
});

test('a re-import changing one image of many updates exactly that one and withdraws the unlisted', async () => {
  const before = await rows();
  const removed = new Set([5, 600, 1233]);
  const listed = all.filter((i) => !removed.has(i));
  const counts = await apply(2, listed, T2, (i) => values(i, i === 777 ? '2' : '1'));
  assert.deepEqual(counts, { added: 0, changed: 1, withdrawn: removed.size });
  const got = await rows();
  for (const i of all) {
    const old = before.get(`img-${i}`)!;
    const row = got.get(`img-${i}`)!;
    assert.equal(row.id, old.id, 'rows are updated in place');
    if (removed.has(i)) {
      // Withdrawn, not deleted: the gate can still say why; the last listing stays.
      assert.deepEqual(row, { ...old, status: 'withdrawn', updated_at: T2.toISOString() });
    } else if (i === 777) {
      assert.deepEqual(row, {
        ...old,
        version: '2',
        last_sequence: 2,
        updated_at: T2.toISOString(),
      });
    } else {
      assert.deepEqual(row, { ...old, last_sequence: 2 }, `img-${i}`);
    }
  }
});

test('a withdrawn image listed again is endorsed again; withdrawn ones stay as they were', async () => {
  const before = await rows();
  const listed = all.filter((i) => i !== 5 && i !== 1233);
  const counts = await apply(3, listed, T3, (i) => values(i, i === 777 ? '2' : '1'));
  assert.deepEqual(counts, { added: 0, changed: 1, withdrawn: 0 });
  const got = await rows();
  assert.deepEqual(got.get('img-600'), {
    ...before.get('img-600')!,
    status: 'endorsed',
    last_sequence: 3,
    updated_at: T3.toISOString(),
  });
  assert.deepEqual(got.get('img-5'), before.get('img-5'));
  assert.deepEqual(got.get('img-1233'), before.get('img-1233'));
  assert.equal(got.get('img-777')!.updated_at, T2.toISOString());
  assert.equal(got.get('img-777')!.last_sequence, 3);
});

test('a failing apply leaves every row as it was (one transaction)', async () => {
  const before = await rows();
  // A duplicate identifier violates the unique constraint in the middle of the insert.
  const images = [
    ...listing(all, (i) => values(i, '9')),
    { identifier: 'new-1', valuesOf: () => values(1) },
    { identifier: 'new-1', valuesOf: () => values(1) },
  ];
  await assert.rejects(
    writeTransaction(t.inst.store, (tx) => syncSiteImages(tx, subscriptionId, 4, images, T3)),
  );
  assert.deepEqual(await rows(), before);
});
