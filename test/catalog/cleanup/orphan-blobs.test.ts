import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { addEndorser, addImageFromStream, registerImageByUrl } from '../../../catalog/index.ts';
import { ORPHAN_GRACE_MS, sweepOrphanBlobs } from '../../../catalog/cleanup/orphan-blobs.ts';
import { cleanUpAfterCrashes } from '../../../catalog/cleanup/startup-cleanup.ts';
import { verifyAuditChain } from '../../../catalog/audit/audit-log.ts';
import { BlobStore } from '../../../catalog/blobs/blob-store.ts';
import type { ObjectStore } from '../../../catalog/blobs/object-store.ts';
import { opensslIdentity } from '../../helpers/openssl/index.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { placeStored } from '../blobs/stored-objects.ts';

/**
 * Complete blobs and cached images without their row (a crash between the object landing
 * and the row's commit), on the configured backend: disk, or a bucket (…-rgw), where an
 * object's age is its Last-Modified, so the sweep is run "a day later" instead of the
 * objects being back-dated.
 */
async function place(store: ObjectStore, text: string): Promise<string> {
  const bytes = Buffer.from(text);
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  await placeStored(store, sha256, bytes);
  return sha256;
}

const contentName = (area: string, sha256: string) =>
  path.join(area, 'sha256', sha256.slice(0, 2), sha256);

test('a complete blob without its row: kept when a row refers to it or while young, removed when old', async () => {
  const t = await tempInstance();
  try {
    const id = opensslIdentity(t.dir, { name: 'orphans' });
    await addEndorser(t.inst, {
      name: 'cern',
      title: 'CERN',
      certificatePem: id.certificatePem,
      keyPem: id.keyPem,
      actor: 'test',
    });
    const { blobs, siteCache } = t.inst;

    // Endorser side. Registered (blobs and images rows).
    const registered = await addImageFromStream(t.inst, {
      endorser: 'cern',
      metadata: { title: 'Registered' },
      actor: 'test',
      source: Readable.from([Buffer.from('registered bytes')]),
    });
    // An images row alone (registered by URL) adopts bytes of the same hash.
    const byUrl = await place(blobs, 'bytes an images row names');
    await registerImageByUrl(t.inst, {
      endorser: 'cern',
      metadata: { title: 'By URL' },
      actor: 'test',
      url: 'https://mirror.example/by-url.img',
      sha256: byUrl,
      size: 25,
    });
    const orphan = await place(blobs, 'crashed before its row');
    // Not a content name: not ours, left alone (a file system can hold anything).
    const notOurs =
      blobs instanceof BlobStore ? path.join(blobs.root, 'sha256', 'ab', 'notes.txt') : undefined;
    if (notOurs) {
      fs.mkdirSync(path.dirname(notOurs), { recursive: true });
      fs.writeFileSync(notOurs, 'not a content name');
    }

    // Site side: a cache_entries row, or a site image that names the hash, keeps the bytes.
    const entry = await place(siteCache, 'verified, row committed');
    const wanted = await place(siteCache, 'a site image names these');
    const cacheOrphan = await place(siteCache, 'cached, row never committed');
    await t.inst.store.db
      .insertInto('cache_entries')
      .values({
        sha256: entry,
        byte_size: 23,
        state: 'verified',
        reason: null,
        actual_sha256: null,
        source: 'fetch',
        source_detail: null,
        updated_at: new Date().toISOString(),
        sha512: null,
      })
      .execute();
    await addSiteImage(t.inst, wanted);

    // Young (all were just written): nothing goes, referenced or not.
    assert.deepEqual(await sweepOrphanBlobs(t.inst, t.inst.store, new Date()), []);

    // The start-up cleanup of a day and more later: the unreferenced ones go.
    const later = new Date(Date.now() + ORPHAN_GRACE_MS + 60 * 60_000);
    const report = await cleanUpAfterCrashes(t.dir, t.inst.store, later, t.inst);
    for (const [store, kept] of [
      [blobs, registered.sha256],
      [blobs, byUrl],
      [siteCache, entry],
      [siteCache, wanted],
    ] as const)
      assert.equal(await store.has(kept), true, `kept: ${kept}`);
    if (notOurs) assert.ok(fs.existsSync(notOurs), 'a name that is not ours is kept');
    assert.equal(await blobs.has(orphan), false, 'the orphaned blob is removed');
    assert.equal(await siteCache.has(cacheOrphan), false, 'the orphaned cache entry is removed');
    const expected = [contentName('blobs', orphan), contentName('cache', cacheOrphan)].sort();
    assert.deepEqual(report.removed.sort(), expected);
    assert.equal((await verifyAuditChain(t.inst.store.db)).ok, true);
    const audit = await t.inst.store.db
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'cleanup.temporaries.removed')
      .executeTakeFirstOrThrow();
    assert.deepEqual((JSON.parse(audit.details) as { files: string[] }).files.sort(), expected);
  } finally {
    await t.cleanup();
  }
});

async function addSiteImage(
  inst: Awaited<ReturnType<typeof tempInstance>>['inst'],
  sha256: string,
) {
  const now = new Date().toISOString();
  const sub = await inst.store.db
    .insertInto('subscriptions')
    .values({
      name: 'orphans',
      url: 'https://example.org/feeds/orphans/',
      expect_subject: 'CN=x',
      expect_issuer: null,
      enabled: 1,
      etag: null,
      created_at: now,
      last_checked_at: null,
      last_success_at: null,
      last_error_code: null,
      last_error_message: null,
      last_error_at: null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await inst.store.db
    .insertInto('site_images')
    .values({
      subscription_id: sub.id,
      identifier: 'wanted',
      iri: 'https://example.org/wanted',
      title: 'Wanted',
      description: null,
      version: null,
      os_family: null,
      os_name: null,
      os_version: null,
      arch: null,
      hypervisor: null,
      format: null,
      byte_size: 24,
      sha256,
      sha512: null,
      extra: null,
      download_url: 'https://example.org/wanted.img',
      status: 'endorsed',
      first_sequence: 1,
      last_sequence: 1,
      updated_at: now,
    })
    .execute();
}
