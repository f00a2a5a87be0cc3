import type { Store } from '../store/database.ts';

/**
 * How often the start-up cleanup lists an object store (a bucket shared by replicas). A
 * listing of a large bucket takes seconds and loading the SDK a few hundred ms: paid by
 * every `vmic` command and every replica's start, it would make short commands slow and
 * multiply the load on the store by the number of replicas. The grace periods it enforces
 * are a day (orphans, other hosts' temporaries), so an hour between sweeps loses nothing;
 * a dead local writer's temporary waits at most that long.
 */
export const BUCKET_SWEEP_EVERY_MS = 60 * 60_000;

const KEY = 'object-store-swept-at';

/**
 * Whether this opening sweeps the bucket; if so, claims it (the time is shared through the
 * database, so that replicas take turns). Two openings at the same moment may both
 * sweep: every step of a sweep is idempotent, so that costs a listing, nothing more.
 */
export async function bucketSweepDue(store: Store, now: Date): Promise<boolean> {
  const last = await store.db
    .selectFrom('instance_meta')
    .select('value')
    .where('key', '=', KEY)
    .executeTakeFirst();
  const at = last ? Date.parse(last.value) : NaN;
  if (Number.isFinite(at) && now.getTime() - at < BUCKET_SWEEP_EVERY_MS && at <= now.getTime())
    return false;
  const value = now.toISOString();
  await store.db
    .insertInto('instance_meta')
    .values({ key: KEY, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
  return true;
}
