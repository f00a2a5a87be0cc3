import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import { test } from 'node:test';
import { runGlanceSync, type GlanceSyncReport } from '../../../catalog/glance/sync-run.ts';
import type { GlanceConnection } from '../../../catalog/glance/glance-connection.ts';
import { setPolicy } from '../../../catalog/site/policy.ts';
import { unapproveImage } from '../../../catalog/site/approvals.ts';
import { acquireRunLock } from '../../../catalog/site/run-lock.ts';
import { iterateAudit } from '../../../catalog/audit/audit-log.ts';
import type { Instance } from '../../../catalog/instance.ts';
import { NAMES } from '../../fixtures/pki-fixtures.ts';
import { glance, glanceFixtures, glanceUrl } from './helpers/glance-site.ts';

/*
 * `vmic glance sync` against a real OpenStack Glance (Debian's glance-api with its SQLite
 * database and file store, no authentication), started by test/setup/glance.sh.
 */
const fx = glanceFixtures();
const noAuth = (): GlanceConnection => ({
  source: 'test',
  auth: 'none',
  imageEndpoint: glanceUrl(),
});
const sync = (inst: Instance, extra: { hooks?: { onTheWay?: () => Transform } } = {}) =>
  runGlanceSync(inst, { connection: noAuth(), actor: 'test', ...extra });

function summary(r: GlanceSyncReport): string[] {
  return r.actions.map(
    (a) =>
      `${a.action} ${a.identifier} ${a.result}${a.code ? ` ${a.code}` : ''}${a.reason ? ` (${a.reason})` : ''}`,
  );
}

async function auditActions(inst: Instance): Promise<{ action: string; details: unknown }[]> {
  const out = [];
  for await (const r of iterateAudit(inst.store.db))
    if (r.action.startsWith('glance.'))
      out.push({ action: r.action, details: JSON.parse(r.details) as unknown });
  return out;
}

const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

test('a deployable image appears with its properties and hash; unapproved and unmappable ones do not', async () => {
  const site = await fx.site();
  try {
    const r = await sync(site.inst);
    assert.deepEqual(summary(r), ['create img done']);
    assert.deepEqual(
      r.skipped.map((s) => [s.identifier, /floppy.*no Glance equivalent/.test(s.reason)]),
      [['floppy', true]],
    );
    const listed = await glance.list(site.publicUrl);
    assert.equal(listed.length, 1, 'only the deployable, mappable image is in Glance');
    const [image] = listed;
    assert.equal(image!.id, r.actions[0]!.glanceId);
    const img = site.bytes.img;
    assert.equal(image!.status, 'active');
    assert.equal(image!.name, 'Glance test img');
    assert.equal(image!.disk_format, 'qcow2');
    assert.equal(image!.container_format, 'bare');
    assert.equal(image!.visibility, 'private');
    assert.equal(image!.size, img.bytes.length);
    assert.equal(image!.os_hash_algo, 'sha512');
    assert.equal(image!.os_hash_value, sha512(img.bytes));
    assert.equal(image!.vmic_sha512, sha512(img.bytes));
    assert.equal(image!.vmic_sha256, img.sha256);
    assert.equal(image!.vmic_subscription, 'fx');
    assert.equal(image!.vmic_identifier, 'img');
    assert.equal(image!.vmic_endorser, NAMES.leaf);
    assert.equal(image!.vmic_catalog_sequence, '1');
    assert.equal(image!.vmic_approval, 'image');
    assert.equal(image!.architecture, 'x86_64');
    assert.ok(
      (await glance.bytes(image!.id)).equals(img.bytes),
      'Glance serves the verified bytes',
    );
    assert.deepEqual(
      (await auditActions(site.inst)).map((a) => a.action),
      ['glance.image.created'],
    );
  } finally {
    await site.cleanup();
  }
});

test('a second sync with nothing changed makes no Glance write and no audit entry', async () => {
  const site = await fx.site();
  try {
    await sync(site.inst);
    const before = await glance.list(site.publicUrl);
    const again = await sync(site.inst);
    assert.deepEqual(again.actions, []);
    assert.equal(again.unchanged, 1);
    assert.deepEqual(
      await glance.list(site.publicUrl),
      before,
      'every field, updated_at included, is as it was',
    );
    assert.equal((await auditActions(site.inst)).length, 1);
  } finally {
    await site.cleanup();
  }
});

test('withdrawn: deactivated, reactivated when listed again, deleted under glance-withdrawn delete', async () => {
  const site = await fx.site();
  try {
    const id = (await sync(site.inst)).actions[0]!.glanceId!;
    await site.publish(
      2,
      site.all.filter((i) => i.identifier !== 'img'),
    );
    assert.deepEqual(summary(await sync(site.inst)), ['deactivate img done (not-deployable)']);
    assert.equal((await glance.get(id))?.status, 'deactivated');
    assert.deepEqual((await sync(site.inst)).actions, [], 'deactivated stays deactivated');

    await site.publish(3, site.all);
    const back = await sync(site.inst);
    assert.deepEqual(summary(back), ['reactivate img done (vmic_catalog_sequence)']);
    const image = await glance.get(id);
    assert.equal(image?.status, 'active');
    assert.equal(image?.vmic_catalog_sequence, '3');

    await unapproveImage(site.inst, { image: 'img', actor: 'test' });
    await setPolicy(site.inst, 'glance-withdrawn', 'delete', 'test');
    assert.deepEqual(summary(await sync(site.inst)), ['delete img done (not-deployable)']);
    assert.equal(await glance.get(id), undefined, 'the Glance image is gone');
    assert.deepEqual(await glance.list(site.publicUrl), []);
    assert.deepEqual(
      (await auditActions(site.inst)).map((a) => a.action),
      [
        'glance.image.created',
        'glance.image.deactivated',
        'glance.image.reactivated',
        'glance.image.deleted',
      ],
    );
  } finally {
    await site.cleanup();
  }
});

/** Flips one byte of the first chunk that passes: bytes altered between vmic and Glance. */
function flipOneByte(): Transform {
  let done = false;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (!done && chunk.length > 0) {
        const copy = Buffer.from(chunk);
        copy[copy.length >> 1]! ^= 0x01;
        done = true;
        cb(null, copy);
      } else cb(null, chunk);
    },
  });
}

test('bytes corrupted on the way: GLANCE_HASH_MISMATCH, the Glance image removed; the next run uploads', async () => {
  const site = await fx.site();
  try {
    const r = await sync(site.inst, { hooks: { onTheWay: flipOneByte } });
    assert.deepEqual(summary(r), ['create img failed GLANCE_HASH_MISMATCH']);
    const id = r.actions[0]!.glanceId;
    assert.ok(id, 'the report names the Glance image that was made and removed');
    assert.equal(await glance.get(id), undefined);
    assert.deepEqual(await glance.list(site.publicUrl), []);
    const audit = await auditActions(site.inst);
    assert.deepEqual(
      audit.map((a) => a.action),
      ['glance.image.failed'],
    );
    assert.equal((audit[0]!.details as { code: string }).code, 'GLANCE_HASH_MISMATCH');

    assert.deepEqual(summary(await sync(site.inst)), ['create img done']);
    assert.equal((await glance.list(site.publicUrl)).length, 1);
  } finally {
    await site.cleanup();
  }
});

test('an unfinished upload and an image whose checked hash disagrees are replaced', async () => {
  const site = await fx.site();
  try {
    const img = site.bytes.img;
    const props = {
      vmic_site: site.publicUrl,
      vmic_subscription: 'fx',
      vmic_identifier: 'img',
      vmic_sha256: img.sha256,
    };
    const queued = await glance.create({
      name: 'left over',
      disk_format: 'qcow2',
      container_format: 'bare',
      ...props,
    });
    assert.equal(queued.status, 'queued');
    const first = await sync(site.inst);
    assert.deepEqual(summary(first), ['delete img done (incomplete)', 'create img done']);
    assert.equal(await glance.get(queued.id), undefined);

    // The record of the checked upload no longer matches what Glance hashed.
    const id = first.actions[1]!.glanceId!;
    await glance.patch(id, [{ op: 'replace', path: '/vmic_sha512', value: 'f'.repeat(128) }]);
    assert.deepEqual(summary(await sync(site.inst)), [
      'delete img done (hash-mismatch)',
      'create img done',
    ]);
    assert.equal(await glance.get(id), undefined);
    assert.equal((await glance.list(site.publicUrl)).length, 1);
  } finally {
    await site.cleanup();
  }
});

test('images of other sites and images vmic did not make are never touched', async () => {
  const site = await fx.site();
  const foreign = await glance.create({
    name: 'foreign',
    disk_format: 'raw',
    container_format: 'bare',
    vmic_site: 'https://elsewhere.example.org',
    vmic_subscription: 'fx',
    vmic_identifier: 'img',
  });
  const plain = await glance.create({
    name: 'plain',
    disk_format: 'raw',
    container_format: 'bare',
  });
  try {
    await setPolicy(site.inst, 'glance-withdrawn', 'delete', 'test');
    await sync(site.inst);
    await unapproveImage(site.inst, { image: 'img', actor: 'test' });
    assert.deepEqual(summary(await sync(site.inst)), ['delete img done (not-deployable)']);
    assert.equal((await glance.get(foreign.id))?.status, 'queued');
    assert.equal((await glance.get(plain.id))?.status, 'queued');
  } finally {
    await glance.remove(foreign.id);
    await glance.remove(plain.id);
    await site.cleanup();
  }
});

test('scope and visibility come from policy; a changed visibility is one update', async () => {
  const site = await fx.site();
  try {
    await setPolicy(site.inst, 'glance-scope', 'another', 'test');
    const none = await sync(site.inst);
    assert.deepEqual(none.actions, []);
    assert.deepEqual(none.unknownInScope, ['another']);
    await setPolicy(site.inst, 'glance-scope', 'fx,another', 'test');
    assert.deepEqual(summary(await sync(site.inst)), ['create img done']);
    await setPolicy(site.inst, 'glance-visibility', 'public', 'test');
    assert.deepEqual(summary(await sync(site.inst)), ['update img done (visibility)']);
    assert.equal((await glance.list(site.publicUrl))[0]?.visibility, 'public');
    await setPolicy(site.inst, 'glance-scope', 'another', 'test');
    assert.deepEqual(summary(await sync(site.inst)), ['deactivate img done (not-deployable)']);
  } finally {
    await site.cleanup();
  }
});

test('a run while another holds the lock is refused (CONFLICT); an unreachable Glance is GLANCE_FAILED', async () => {
  const site = await fx.site();
  try {
    const lock = await acquireRunLock(site.inst.store.db, 'glance-sync', { now: site.inst.now });
    await assert.rejects(sync(site.inst), { code: 'CONFLICT' });
    await lock.release();
    const closed: GlanceConnection = {
      source: 'test',
      auth: 'none',
      imageEndpoint: 'http://127.0.0.1:9',
    };
    await assert.rejects(runGlanceSync(site.inst, { connection: closed, actor: 'test' }), {
      code: 'GLANCE_FAILED',
    });
    assert.deepEqual(await auditActions(site.inst), [], 'nothing happened, so nothing is audited');
  } finally {
    await site.cleanup();
  }
});
