import { isVmicError } from '../../errors/index.ts';
import type { Queryable } from '../store/database.ts';
import { acquireLease, LEASE_TTL_MS, type Lease } from './leases.ts';

export interface RunLock {
  /**
   * Throws CONFLICT when the lease was lost while running (this process paused for longer
   * than the TTL and another host took the run over): the caller stops before writing more.
   */
  assertHeld(): void;
  release(): Promise<void>;
}

/**
 * Keeps two import (or fetch) runs from overlapping, on this host or any other sharing the
 * database: cron starting a run while the previous one is still going, or `vmic import` on
 * one host while `vmic serve --import-every` runs it on another. A database lease
 * (leases.ts), renewed every third of its TTL while the run goes on; a crashed run's lease
 * expires after the TTL and the next run takes it over. Throws CONFLICT when held.
 */
export async function acquireRunLock(
  db: Queryable,
  name: string,
  opts: { now?: () => Date; ttlMs?: number } = {},
): Promise<RunLock> {
  const ttlMs = opts.ttlMs ?? LEASE_TTL_MS;
  const lease = await acquireLease(db, name, { now: opts.now ?? (() => new Date()), ttlMs });
  let lost: Error | undefined;
  const timer = setInterval(() => void renew(lease), ttlMs / 3);
  // A run that ends without releasing (a crash) must not be kept alive by this timer.
  timer.unref();
  async function renew(l: Lease): Promise<void> {
    try {
      await l.renew();
    } catch (e) {
      // A database hiccup is retried at the next tick; only a lease taken over is final.
      if (isVmicError(e) && e.code === 'CONFLICT') lost ??= e;
    }
  }
  return {
    assertHeld() {
      if (lost) throw lost;
    },
    async release() {
      clearInterval(timer);
      await lease.release();
    },
  };
}
