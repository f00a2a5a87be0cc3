import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { currentOwner, ownerAlive, ownerOf } from '../../../catalog/cleanup/process-owner.ts';
import {
  migrationTempDir,
  ownedTempName,
  sweepOwnedTemporaries,
} from '../../../catalog/cleanup/owned-temporaries.ts';
import {
  addEndorser,
  addImageFromStream,
  openInstance,
  registerImageByUrl,
  resolveConfig,
} from '../../../catalog/index.ts';
import { ORPHAN_GRACE_MS, sweepOrphanBlobs } from '../../../catalog/cleanup/orphan-blobs.ts';
import { verifyAuditChain } from '../../../catalog/audit/audit-log.ts';
import { listMigrations } from '../../../catalog/migration/records.ts';
import { opensslIdentity } from '../../helpers/openssl/index.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';

/** The token of a process that ran and has exited (a crashed writer). */
async function deadOwner(): Promise<string> {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  const token = ownerOf(child.pid!);
  assert.ok(token, 'the child is running');
  assert.equal(ownerAlive(token), true, 'a running process is alive');
  child.kill('SIGKILL');
  await once(child, 'exit');
  return token;
}

test('owner tokens: this process is alive; an exited one and a reused pid are not', async () => {
  assert.equal(ownerAlive(currentOwner()), true);
  assert.equal(ownerAlive(await deadOwner()), false);
  // Same pid as this process, another start time: the pid was reused by someone else.
  const [pid, start, boot] = currentOwner().split('.') as [string, string, string];
  if (start !== '0') assert.equal(ownerAlive(`${pid}.${Number(start) + 1}.${boot}`), false);
  assert.equal(ownerAlive('not a token'), false);
});

test('the sweeper keeps files of live processes and removes those of dead ones', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-sweep-'));
  try {
    const mine = ownedTempName();
    const dead = `${await deadOwner()}_${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}.part`;
    const legacyOld = 'in-old.part';
    const legacyFresh = 'in-fresh.part';
    for (const f of [mine, dead, legacyOld, legacyFresh]) fs.writeFileSync(path.join(dir, f), 'x');
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    fs.utimesSync(path.join(dir, legacyOld), hourAgo, hourAgo);

    const removed = sweepOwnedTemporaries(dir, { now: new Date() });
    assert.deepEqual(removed.sort(), [dead, legacyOld].sort());
    assert.deepEqual(fs.readdirSync(dir).sort(), [legacyFresh, mine].sort());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('opening the instance removes dead temporaries and marks dead running records INTERRUPTED', async () => {
  const t = await tempInstance();
  try {
    const dead = await deadOwner();
    const now = new Date().toISOString();
    const row = (id: string, owner: string | null) => ({
      id,
      direction: 'incoming' as const,
      peer: 'site-a',
      target: 'test',
      image: 'cern/alma9',
      sha256: 'a'.repeat(64),
      byte_size: 1,
      state: 'running' as const,
      reason_code: null,
      reason_message: null,
      created_at: now,
      updated_at: now,
      owner,
    });
    const deadId = '00000000-0000-4000-8000-000000000001';
    const liveId = '00000000-0000-4000-8000-000000000002';
    await t.inst.store.db
      .insertInto('migrations')
      .values([row(deadId, dead), row(liveId, currentOwner())])
      .execute();
    await t.inst.store.db
      .insertInto('migration_stages')
      .values({
        migration_id: deadId,
        stage: 'import',
        state: 'running',
        started_at: now,
        finished_at: null,
        reason_code: null,
        detail: '{}',
      })
      .execute();
    const tmp = migrationTempDir(t.dir);
    const deadFile = `${dead}_${'1'.repeat(8)}-1111-4111-8111-${'1'.repeat(12)}.part`;
    const liveFile = ownedTempName();
    fs.writeFileSync(path.join(tmp, deadFile), 'unauthenticated plaintext');
    fs.writeFileSync(path.join(tmp, liveFile), 'a transfer in progress');
    fs.writeFileSync(path.join(t.dir, 'blobs', 'tmp', deadFile), 'an upload');

    // A second opening, as `serve` or any command does.
    const again = await openInstance(resolveConfig({ dataDir: t.dir, env: {} }), { env: {} });
    try {
      assert.deepEqual(fs.readdirSync(tmp), [liveFile], 'only the live transfer kept');
      assert.deepEqual(fs.readdirSync(path.join(t.dir, 'blobs', 'tmp')), []);
      const list = await listMigrations(again);
      const byId = new Map(list.map((m) => [m.id, m]));
      assert.equal(byId.get(deadId)?.state, 'failed');
      assert.equal(byId.get(deadId)?.reason?.code, 'INTERRUPTED');
      assert.equal(byId.get(deadId)?.stages[0]?.reasonCode, 'INTERRUPTED');
      assert.equal(byId.get(liveId)?.state, 'running', 'a live process keeps its record');
      assert.equal((await verifyAuditChain(again.store.db)).ok, true);
      const audit = await again.store.db
        .selectFrom('audit_log')
        .select(['action', 'details'])
        .where('subject', '=', `migration:${deadId}`)
        .execute();
      assert.ok(
        audit.some((a) => a.action === 'migration.failed' && a.details.includes('INTERRUPTED')),
      );
    } finally {
      await again.close();
    }
  } finally {
    await t.cleanup();
  }
});

test('fetch partials: resumable ones are kept, ones nothing wants are removed', async () => {
  const t = await tempInstance();
  try {
    const partial = path.join(t.dir, 'cache', 'partial');
    fs.mkdirSync(partial, { recursive: true });
    const now = new Date().toISOString();
    const sub = await t.inst.store.db
      .insertInto('subscriptions')
      .values({
        name: 'cern',
        url: 'https://example.org/feeds/cern/',
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
    await t.inst.store.db
      .insertInto('site_images')
      .values({
        subscription_id: sub.id,
        identifier: 'alma9',
        iri: 'https://example.org/alma9',
        title: 'AlmaLinux 9',
        description: null,
        version: null,
        os_family: null,
        os_name: null,
        os_version: null,
        arch: null,
        hypervisor: null,
        format: null,
        byte_size: 10,
        sha256: 'd'.repeat(64),
        sha512: null,
        extra: null,
        download_url: 'https://example.org/alma9.qcow2',
        status: 'endorsed',
        first_sequence: 1,
        last_sequence: 1,
        updated_at: now,
      })
      .execute();
    const resumable = `${'d'.repeat(64)}.part`;
    const unwanted = `${'c'.repeat(64)}.part`;
    const stray = 'garbage.part';
    fs.writeFileSync(path.join(partial, resumable), 'abc');
    for (const f of [unwanted, stray]) fs.writeFileSync(path.join(partial, f), 'x');
    const again = await openInstance(resolveConfig({ dataDir: t.dir, env: {} }), { env: {} });
    await again.close();
    assert.deepEqual(fs.readdirSync(partial), [resumable]);
  } finally {
    await t.cleanup();
  }
});

/** Complete bytes under their content name, as a durable rename leaves them; `ageMs` back-dates them. */
function placeContent(
  root: string,
  bytes: Buffer,
  ageMs: number,
): { sha256: string; file: string } {
  const sha256 = crypto.createHash('sha256').update(bytes).digest('hex');
  const file = path.join(root, sha256.slice(0, 2), sha256);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
  const then = new Date(Date.now() - ageMs);
  fs.utimesSync(file, then, then);
  return { sha256, file };
}

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
    const old = ORPHAN_GRACE_MS + 60 * 60_000;
    const blobs = path.join(t.dir, 'blobs', 'sha256');
    const cache = path.join(t.dir, 'cache', 'sha256');

    // Endorser side. Registered (blobs and images rows), then back-dated.
    const registered = await addImageFromStream(t.inst, {
      endorser: 'cern',
      metadata: { title: 'Registered' },
      actor: 'test',
      source: Readable.from([Buffer.from('registered bytes')]),
    });
    const registeredFile = t.inst.blobs.pathOf(registered.sha256);
    const then = new Date(Date.now() - old);
    fs.utimesSync(registeredFile, then, then);
    // An images row alone (registered by URL) adopts bytes of the same hash.
    const byUrl = placeContent(blobs, Buffer.from('bytes an images row names'), old);
    await registerImageByUrl(t.inst, {
      endorser: 'cern',
      metadata: { title: 'By URL' },
      actor: 'test',
      url: 'https://mirror.example/by-url.img',
      sha256: byUrl.sha256,
      size: 25,
    });
    const orphanOld = placeContent(blobs, Buffer.from('crashed before its row, long ago'), old);
    const orphanYoung = placeContent(
      blobs,
      Buffer.from('an upload whose form is still arriving'),
      60_000,
    );
    const notOurs = path.join(blobs, 'ab', 'notes.txt');
    fs.mkdirSync(path.dirname(notOurs), { recursive: true });
    fs.writeFileSync(notOurs, 'not a content name');

    // Site side: a cache_entries row, or a site image that names the hash, keeps the bytes.
    const entry = placeContent(cache, Buffer.from('verified, row committed'), old);
    const wanted = placeContent(cache, Buffer.from('a site image names these'), old);
    const cacheOrphan = placeContent(cache, Buffer.from('cached, row never committed'), old);
    const now = new Date().toISOString();
    await t.inst.store.db
      .insertInto('cache_entries')
      .values({
        sha256: entry.sha256,
        byte_size: 23,
        state: 'verified',
        reason: null,
        actual_sha256: null,
        source: 'fetch',
        source_detail: null,
        updated_at: now,
        sha512: null,
      })
      .execute();
    await addSiteImage(t.inst, wanted.sha256);

    // Before the grace period nothing goes, referenced or not.
    assert.deepEqual(
      await sweepOrphanBlobs(t.dir, t.inst.store, new Date(Date.now() - old + 60_000)),
      [],
    );

    const again = await openInstance(resolveConfig({ dataDir: t.dir, env: {} }), { env: {} });
    try {
      for (const kept of [
        registeredFile,
        byUrl.file,
        orphanYoung.file,
        notOurs,
        entry.file,
        wanted.file,
      ])
        assert.ok(fs.existsSync(kept), `kept: ${path.relative(t.dir, kept)}`);
      for (const gone of [orphanOld.file, cacheOrphan.file])
        assert.equal(fs.existsSync(gone), false, `removed: ${path.relative(t.dir, gone)}`);
      assert.equal((await verifyAuditChain(again.store.db)).ok, true);
      const audit = await again.store.db
        .selectFrom('audit_log')
        .select('details')
        .where('action', '=', 'cleanup.temporaries.removed')
        .executeTakeFirstOrThrow();
      const files = (JSON.parse(audit.details) as { files: string[] }).files;
      assert.deepEqual(
        files.sort(),
        [orphanOld.file, cacheOrphan.file].map((f) => path.relative(t.dir, f)).sort(),
      );
    } finally {
      await again.close();
    }
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
