import type { Instance } from '../instance.ts';
import { currentOwner } from '../cleanup/process-owner.ts';
import { MIGRATION_HEARTBEAT_MS } from '../cleanup/interrupted-records.ts';

/**
 * Renews the heartbeat of migration record `id`; false once it is no longer this
 * process's running record (finished, or failed by a cleanup that found the heartbeat
 * stale). Only the heartbeat is written, never the state, so a late beat cannot turn a
 * finished record back to running.
 */
export async function beatRecord(inst: Instance, id: string): Promise<boolean> {
  const r = await inst.store.db
    .updateTable('migrations')
    .set({ heartbeat_at: inst.now().toISOString() })
    .where('id', '=', id)
    .where('state', '=', 'running')
    .where('owner', '=', currentOwner())
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/**
 * Beats every MIGRATION_HEARTBEAT_MS while the record runs; returns the stop. The
 * heartbeat tells replicas on other hosts that the record is alive: they cannot check its
 * owner's pid, and without it their start-up cleanup would fail a live migration as
 * INTERRUPTED (catalog/cleanup/interrupted-records.ts). Fire and forget, as the web jobs'
 * heartbeat (site/job-rows.ts): a lost beat is made up by the next, long before
 * MIGRATION_STALE_MS. It stops by itself once the record is not running (a path that
 * never calls the stop leaks no timer beyond that), and is unref'd so that it never
 * keeps a command alive.
 */
export function startHeartbeat(inst: Instance, id: string): () => void {
  const timer = setInterval(() => {
    beatRecord(inst, id).then(
      (running) => {
        if (!running) clearInterval(timer);
      },
      () => undefined, // a database hiccup: the next beat tries again
    );
  }, MIGRATION_HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}
