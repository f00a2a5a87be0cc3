import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { MigrationLog } from '../../../catalog/migration/records.ts';
import { beatRecord } from '../../../catalog/migration/record-heartbeat.ts';
import { currentOwner, hostTag } from '../../../catalog/cleanup/process-owner.ts';
import { MIGRATION_HEARTBEAT_MS } from '../../../catalog/cleanup/interrupted-records.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';

// A running migration record names its host and carries a heartbeat, renewed while it
// runs, so that replicas on other hosts can tell it from one whose host crashed.

const ID = '00000000-0000-4000-8000-0000000000aa';

async function heartbeatOf(t: Awaited<ReturnType<typeof tempInstance>>) {
  return t.inst.store.db
    .selectFrom('migrations')
    .select(['state', 'owner', 'host', 'heartbeat_at'])
    .where('id', '=', ID)
    .executeTakeFirstOrThrow();
}

test('a record is written with its host and a heartbeat, renewed while it runs and not after', async () => {
  let clock = new Date('2026-06-01T12:00:00.000Z');
  const t = await tempInstance({ now: () => clock });
  mock.timers.enable({ apis: ['setInterval'] });
  try {
    const log = new MigrationLog(t.inst, ID, 'test');
    await log.create({
      direction: 'incoming',
      peer: 'site-a',
      target: 'test',
      image: 'cern/alma9',
      sha256: 'a'.repeat(64),
      byteSize: 1,
    });
    assert.deepEqual(await heartbeatOf(t), {
      state: 'running',
      owner: currentOwner(),
      host: hostTag(),
      heartbeat_at: '2026-06-01T12:00:00.000Z',
    });

    // The interval beats with the instance's clock (the beat itself is asynchronous).
    clock = new Date('2026-06-01T12:00:30.000Z');
    mock.timers.tick(MIGRATION_HEARTBEAT_MS);
    for (let i = 0; i < 500 && (await heartbeatOf(t)).heartbeat_at !== clock.toISOString(); i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.equal((await heartbeatOf(t)).heartbeat_at, '2026-06-01T12:00:30.000Z');

    clock = new Date('2026-06-01T12:01:00.000Z');
    assert.equal(await beatRecord(t.inst, ID), true);
    assert.equal((await heartbeatOf(t)).heartbeat_at, '2026-06-01T12:01:00.000Z');

    await log.finish('done');
    // A late beat changes nothing, least of all the state.
    clock = new Date('2026-06-01T12:05:00.000Z');
    assert.equal(await beatRecord(t.inst, ID), false);
    const done = await heartbeatOf(t);
    assert.equal(done.state, 'done');
    assert.notEqual(done.heartbeat_at, '2026-06-01T12:05:00.000Z');
  } finally {
    mock.timers.reset();
    await t.cleanup();
  }
});
