import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { currentOwner, ownerAlive, ownerOf } from '../../../catalog/cleanup/process-owner.ts';
import {
  migrationTempDir,
  ownedTempName,
  sweepOwnedTemporaries,
} from '../../../catalog/cleanup/owned-temporaries.ts';
import { openInstance, resolveConfig } from '../../../catalog/index.ts';
import { verifyAuditChain } from '../../../catalog/audit/audit-log.ts';
import { listMigrations } from '../../../catalog/migration/records.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { BUCKET_SWEEP_EVERY_MS } from '../../../catalog/cleanup/bucket-sweep.ts';
import { deadTemporaryName, placeTemporary } from '../blobs/stored-objects.ts';

/** The test instance's configuration again (its database and blob store), as a second opening reads it. */
function sameConfig(t: {
  dir: string;
  inst: { config: { databaseUrl?: string | undefined; blobUrl?: string | undefined } };
}) {
  return resolveConfig({
    dataDir: t.dir,
    env: {},
    databaseUrl: t.inst.config.databaseUrl,
    blobUrl: t.inst.config.blobUrl,
  });
}

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
    await placeTemporary(t.inst.blobs, deadTemporaryName(t.inst.blobs, dead), 'an upload');

    // A second opening, as `serve` or any command does.
    const again = await openInstance(sameConfig(t), {
      env: {},
      // Past the hourly turn of a bucket's sweep (the first opening took it).
      now: () => new Date(Date.now() + BUCKET_SWEEP_EVERY_MS + 60_000),
    });
    try {
      assert.deepEqual(fs.readdirSync(tmp), [liveFile], 'only the live transfer kept');
      assert.deepEqual(await again.blobs.temporaryFiles(), []);
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
    const again = await openInstance(sameConfig(t), { env: {} });
    await again.close();
    assert.deepEqual(fs.readdirSync(partial), [resumable]);
  } finally {
    await t.cleanup();
  }
});
