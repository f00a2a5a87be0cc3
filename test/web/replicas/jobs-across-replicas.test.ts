import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openInstance } from '../../../catalog/index.ts';
import { getJob, startJob } from '../../../catalog/site/jobs.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';

test('a background run started on one replica is seen and joined on another', async () => {
  const t = await tempInstance();
  const second = await openInstance(t.inst.config, { env: {} });
  try {
    let finish!: (v: string) => void;
    const { job, joined } = await startJob(t.inst, 'fetch', 'Fetch of images', (report) => {
      report({ done: 1, total: 2, unit: 'items' });
      return new Promise<string>((resolve) => (finish = resolve));
    });
    assert.equal(joined, false);
    const seen = await getJob(second, job.id);
    assert.equal(seen?.state, 'running');
    assert.equal(seen?.label, 'Fetch of images');
    // "Fetch now" on the other replica joins the running one instead of starting another.
    const again = await startJob(second, 'fetch', 'Fetch of images', () => Promise.resolve('x'));
    assert.equal(again.joined, true);
    assert.equal(again.job.id, job.id);
    finish('/site/images?fetched=2');
    await job.settled;
    const done = await getJob(second, job.id);
    assert.equal(done?.state, 'done');
    assert.equal(done?.result, '/site/images?fetched=2');
    assert.deepEqual(done?.progress, { done: 1, total: 2, unit: 'items' });
    assert.equal(await getJob(second, 'f'.repeat(24)), undefined);
  } finally {
    await second.close();
    await t.cleanup();
  }
});

test('a run whose replica died is shown interrupted, and is not joined', async () => {
  const t = await tempInstance();
  const second = await openInstance(t.inst.config, { env: {} });
  try {
    let finish!: () => void;
    const { job } = await startJob(
      t.inst,
      'import',
      'Import of x',
      () => new Promise<void>((r) => (finish = r)),
    );
    // The replica stops renewing (as if killed): its heartbeat is old.
    await t.inst.store.db
      .updateTable('web_jobs')
      .set({ heartbeat_at: '2000-01-01T00:00:00.000Z' })
      .where('id', '=', job.id)
      .execute();
    const dead = await getJob(second, job.id);
    assert.equal(dead?.state, 'failed');
    assert.equal(dead?.error?.code, 'INTERRUPTED');
    const fresh = await startJob(second, 'import', 'Import of x', () => Promise.resolve());
    assert.equal(fresh.joined, false);
    await fresh.job.settled;
    finish();
    await job.settled;
  } finally {
    await second.close();
    await t.cleanup();
  }
});
