import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUCKET_SWEEP_EVERY_MS, bucketSweepDue } from '../../../catalog/cleanup/bucket-sweep.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';

test('a bucket is swept at most once an hour, whichever process opens the instance', async () => {
  const t = await tempInstance();
  try {
    const t0 = Date.now() + 10 * BUCKET_SWEEP_EVERY_MS;
    assert.equal(await bucketSweepDue(t.inst.store, new Date(t0)), true, 'first turn');
    assert.equal(await bucketSweepDue(t.inst.store, new Date(t0 + 60_000)), false, 'taken');
    assert.equal(
      await bucketSweepDue(t.inst.store, new Date(t0 + BUCKET_SWEEP_EVERY_MS + 1)),
      true,
    );
    // A clock that went back (another host's, skewed) does not block sweeps for ever.
    assert.equal(
      await bucketSweepDue(t.inst.store, new Date(t0 - 5 * BUCKET_SWEEP_EVERY_MS)),
      true,
    );
  } finally {
    await t.cleanup();
  }
});
