import { test } from 'node:test';
import assert from 'node:assert/strict';
import { healthSummary, FULL_SCOPE } from '../../../catalog/site/health.ts';
import { importScheduleOf, startImportSchedule } from '../../../catalog/site/import-schedule.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';

test('a serve process with --import-every shows its next run; others say none', async () => {
  const now = new Date('2030-06-01T12:00:00Z');
  const t = await tempInstance({ now: () => now });
  const other = await tempInstance({ now: () => now });
  try {
    assert.equal((await healthSummary(t.inst, FULL_SCOPE)).site?.schedule, null);
    const reports: unknown[] = [];
    const schedule = startImportSchedule(t.inst, 3600, (r) => reports.push(r));
    const state = importScheduleOf(t.inst);
    assert.equal(state?.everySeconds, 3600);
    // The first run is due at once; once it has started, the next one is an interval later.
    assert.equal(state?.nextAt, '2030-06-01T12:00:00.000Z');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(importScheduleOf(t.inst)?.nextAt, '2030-06-01T13:00:00.000Z');
    assert.equal((await healthSummary(t.inst, FULL_SCOPE)).site?.schedule?.everySeconds, 3600);
    assert.equal(importScheduleOf(other.inst), undefined, 'keyed by the instance');
    await schedule.stop();
    assert.equal(importScheduleOf(t.inst), undefined, 'gone once stopped');
    // A site with nothing subscribed and nothing hosted is healthy and says so.
    const empty = await healthSummary(other.inst, FULL_SCOPE);
    assert.equal(empty.verdict, 'ok');
    assert.deepEqual(empty.site?.images, {
      awaitingApproval: 0,
      quarantined: 0,
      notFetched: 0,
      deployable: 0,
      total: 0,
    });
  } finally {
    await t.cleanup();
    await other.cleanup();
  }
});
