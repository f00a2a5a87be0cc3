import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openInstance, type Instance } from '../../../catalog/index.ts';
import { acquireLease } from '../../../catalog/site/leases.ts';
import { acquireRunLock } from '../../../catalog/site/run-lock.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { startImportSchedule } from '../../../catalog/site/import-schedule.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';

/** Two "replicas": a second instance opened with the first one's configuration. */
async function twoReplicas(now: () => Date) {
  const t = await tempInstance({ now });
  const second: Instance = await openInstance(t.inst.config, { env: {}, now });
  return {
    a: t.inst,
    b: second,
    cleanup: async () => {
      await second.close();
      await t.cleanup();
    },
  };
}

test('two replicas on one database cannot both hold a lease; release frees it', async () => {
  const now = () => new Date('2030-01-01T00:00:00Z');
  const r = await twoReplicas(now);
  try {
    const held = await acquireLease(r.a.store.db, 'import', { now });
    await assert.rejects(acquireLease(r.b.store.db, 'import', { now }), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'CONFLICT');
      assert.match(e.message, /^another import run is in progress \(.* pid \d+ #[0-9a-f]+,/);
      return true;
    });
    // The holder itself cannot take it twice either (a second run in the same process).
    await assert.rejects(acquireLease(r.a.store.db, 'import', { now }), { code: 'CONFLICT' });
    // Other names are independent.
    await (await acquireLease(r.b.store.db, 'fetch', { now })).release();
    await held.release();
    const next = await acquireLease(r.b.store.db, 'import', { now });
    await next.release();
  } finally {
    await r.cleanup();
  }
});

test('an expired lease is taken over; the old holder can no longer renew it', async () => {
  let t = Date.parse('2030-01-01T00:00:00Z');
  const now = () => new Date(t);
  const r = await twoReplicas(now);
  try {
    const crashed = await acquireLease(r.a.store.db, 'import', { now, ttlMs: 60_000 });
    t += 59_999;
    await assert.rejects(acquireLease(r.b.store.db, 'import', { now }), { code: 'CONFLICT' });
    t += 1;
    const taken = await acquireLease(r.b.store.db, 'import', { now, ttlMs: 60_000 });
    await assert.rejects(crashed.renew(), { code: 'CONFLICT' });
    // The old holder's release does not free the new holder's lease.
    await crashed.release();
    await assert.rejects(acquireLease(r.a.store.db, 'import', { now }), { code: 'CONFLICT' });
    await taken.release();
  } finally {
    await r.cleanup();
  }
});

test('renewal keeps a lease past its first expiry', async () => {
  let t = Date.parse('2030-01-01T00:00:00Z');
  const now = () => new Date(t);
  const r = await twoReplicas(now);
  try {
    const lease = await acquireLease(r.a.store.db, 'fetch', { now, ttlMs: 60_000 });
    for (let i = 0; i < 5; i++) {
      t += 20_000;
      await lease.renew();
    }
    assert.equal(lease.expiresAt.toISOString(), new Date(t + 60_000).toISOString());
    t += 59_999;
    await assert.rejects(acquireLease(r.b.store.db, 'fetch', { now }), { code: 'CONFLICT' });
    await lease.release();
    await assert.rejects(lease.renew(), { code: 'CONFLICT' });
  } finally {
    await r.cleanup();
  }
});

test('an import run while another replica holds the import lease fails with CONFLICT', async () => {
  const now = () => new Date('2030-01-01T00:00:00Z');
  const r = await twoReplicas(now);
  try {
    const lock = await acquireRunLock(r.a.store.db, 'import', { now });
    await assert.rejects(runImport(r.b, { actor: 'test' }), (e: Error) => {
      assert.equal((e as { code?: string }).code, 'CONFLICT');
      assert.match(e.message, /another import run is in progress/);
      return true;
    });
    lock.assertHeld();
    await lock.release();
    assert.deepEqual(await runImport(r.b, { actor: 'test' }), []);
  } finally {
    await r.cleanup();
  }
});

test('--import-every on two replicas imports once per interval between them', async () => {
  let t = Date.parse('2030-01-01T00:00:00Z');
  const now = () => new Date(t);
  const r = await twoReplicas(now);
  try {
    const reports: string[] = [];
    const start = (inst: Instance, who: string) =>
      startImportSchedule(inst, 3600, (o) =>
        reports.push(`${who}: ${o instanceof Error ? o.message : 'ran'}`),
      );
    const a = start(r.a, 'a');
    const b = start(r.b, 'b');
    await new Promise((resolve) => setImmediate(resolve));
    // stop() waits for a run that is going.
    await a.stop();
    await b.stop();
    assert.equal(reports.length, 1, reports.join('; '));
    assert.match(reports[0]!, /: ran$/);
    // The next interval is claimed again by whichever ticks first after the slot ends.
    t += 3600_000;
    const b2 = start(r.b, 'b');
    await new Promise((resolve) => setImmediate(resolve));
    await b2.stop();
    assert.deepEqual(reports.slice(1), ['b: ran']);
  } finally {
    await r.cleanup();
  }
});

test('of many concurrent acquisitions on two replicas, exactly one wins', async () => {
  const now = () => new Date('2030-01-01T00:00:00Z');
  const r = await twoReplicas(now);
  try {
    const tries = Array.from({ length: 12 }, (_, i) =>
      acquireLease((i % 2 ? r.a : r.b).store.db, 'import', { now }),
    );
    const results = await Promise.allSettled(tries);
    const won = results.filter((x) => x.status === 'fulfilled');
    assert.equal(won.length, 1);
    for (const x of results)
      if (x.status === 'rejected') assert.equal((x.reason as { code?: string }).code, 'CONFLICT');
  } finally {
    await r.cleanup();
  }
});
