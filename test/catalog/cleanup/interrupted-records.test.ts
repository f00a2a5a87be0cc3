import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MIGRATION_STALE_MS,
  failInterruptedMigrations,
} from '../../../catalog/cleanup/interrupted-records.ts';
import { hostTag } from '../../../catalog/cleanup/process-owner.ts';
import { verifyAuditChain } from '../../../catalog/audit/audit-log.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';

// Replicas on several hosts share one database (issue 15): a running migration record of
// another host cannot be judged by its pid (boot ids differ, so it always looked dead);
// its heartbeat's age decides. This host's records keep the precise pid check.

const NOW = new Date('2026-06-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const OTHER_HOST = hostTag() === 'aaaaaaaa' ? 'bbbbbbbb' : 'aaaaaaaa';
/** Tokens of this host's processes in these tests: `LIVE` is running, every other is gone. */
const LIVE = '4242.1000.0badf00d';
const DEAD = '4343.2000.0badf00d';
const alive = (owner: string) => owner === LIVE;

function record(
  n: number,
  owner: string | null,
  host: string | null,
  heartbeat: string | null,
  direction: 'incoming' | 'outgoing' = 'incoming',
) {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    direction,
    peer: 'site-a',
    target: 'test',
    image: 'cern/alma9',
    sha256: 'a'.repeat(64),
    byte_size: 1,
    state: 'running' as const,
    reason_code: null,
    reason_message: null,
    created_at: ago(3600_000),
    updated_at: ago(3600_000),
    owner,
    host,
    heartbeat_at: heartbeat,
  };
}

async function withRecords(
  rows: ReturnType<typeof record>[],
  check: (
    marked: string[],
    state: Map<string, { state: string; reason_code: string | null; stage: string }>,
    inst: Awaited<ReturnType<typeof tempInstance>>['inst'],
  ) => Promise<void> | void,
): Promise<void> {
  const t = await tempInstance();
  try {
    const db = t.inst.store.db;
    await db.insertInto('migrations').values(rows).execute();
    await db
      .insertInto('migration_stages')
      .values(
        rows.map((r) => ({
          migration_id: r.id,
          stage: 'import' as const,
          state: 'running' as const,
          started_at: r.created_at,
          finished_at: null,
          reason_code: null,
          detail: '{}',
        })),
      )
      .execute();
    const marked = await failInterruptedMigrations(t.inst.store, NOW, alive);
    const got = await db
      .selectFrom('migrations')
      .innerJoin('migration_stages', 'migration_stages.migration_id', 'migrations.id')
      .select(['migrations.id', 'migrations.state', 'migrations.reason_code'])
      .select('migration_stages.state as stage')
      .execute();
    await check(marked.sort(), new Map(got.map((r) => [r.id, r])), t.inst);
  } finally {
    await t.cleanup();
  }
}

test("another host's running record: kept while its heartbeat is fresh, failed once stale", async () => {
  const fresh = record(1, DEAD, OTHER_HOST, ago(60_000));
  const edge = record(2, DEAD, OTHER_HOST, ago(MIGRATION_STALE_MS));
  const stale = record(3, DEAD, OTHER_HOST, ago(MIGRATION_STALE_MS + 1000));
  await withRecords([fresh, edge, stale], async (marked, state, inst) => {
    // Its owner's pid means nothing here: `alive` says gone, and the fresh one is kept.
    assert.deepEqual(marked, [stale.id]);
    assert.equal(state.get(fresh.id)?.state, 'running');
    assert.equal(state.get(edge.id)?.state, 'running', 'at the limit, still kept');
    assert.equal(state.get(stale.id)?.state, 'failed');
    assert.equal(state.get(stale.id)?.reason_code, 'INTERRUPTED');
    assert.equal(state.get(stale.id)?.stage, 'failed');
    const audit = await inst.store.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('subject', '=', `migration:${stale.id}`)
      .executeTakeFirstOrThrow();
    assert.equal(audit.action, 'migration.failed');
    assert.deepEqual(JSON.parse(audit.details), {
      migrationId: stale.id,
      code: 'INTERRUPTED',
      owner: DEAD,
      host: OTHER_HOST,
      heartbeatAt: stale.heartbeat_at,
    });
    assert.equal((await verifyAuditChain(inst.store.db)).ok, true);
  });
});

test("this host's records: a dead pid is failed at once, a live one kept, whatever the heartbeat", async () => {
  const deadFresh = record(1, DEAD, hostTag(), ago(1000));
  const liveStale = record(2, LIVE, hostTag(), ago(24 * 3600_000));
  await withRecords([deadFresh, liveStale], (marked, state) => {
    assert.deepEqual(marked, [deadFresh.id]);
    assert.equal(state.get(deadFresh.id)?.state, 'failed');
    assert.equal(state.get(deadFresh.id)?.reason_code, 'INTERRUPTED');
    assert.equal(state.get(deadFresh.id)?.stage, 'failed');
    assert.equal(state.get(liveStale.id)?.state, 'running');
    assert.equal(state.get(liveStale.id)?.stage, 'running');
  });
});

test('records from before migration 0015 (no host, no heartbeat) keep the pid check', async () => {
  const dead = record(1, DEAD, null, null);
  const live = record(2, LIVE, null, null);
  const ownerless = record(3, null, null, null);
  await withRecords([dead, live, ownerless], (marked, state) => {
    assert.deepEqual(marked, [dead.id, ownerless.id].sort());
    assert.equal(state.get(live.id)?.state, 'running');
  });
});
