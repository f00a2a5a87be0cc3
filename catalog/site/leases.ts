import crypto from 'node:crypto';
import os from 'node:os';
import { VmicError } from '../../errors/index.ts';
import type { Queryable } from '../store/database.ts';

/** How long a lease lasts unless renewed: a crashed holder blocks the next run this long. */
export const LEASE_TTL_MS = 3 * 60 * 1000;

export interface Lease {
  readonly name: string;
  readonly holder: string;
  /** When the lease ends unless renewed (the holder's last renewal plus the TTL). */
  readonly expiresAt: Date;
  /**
   * Extends the lease by the TTL from now. Throws CONFLICT when it is not held any more:
   * it expired (a holder paused longer than the TTL) and was taken over, or was released.
   */
  renew(): Promise<void>;
  /** Ends the lease (only if still ours); the next acquire succeeds at once. */
  release(): Promise<void>;
}

/** Who holds: unique per acquisition, readable in the CONFLICT message. */
function newHolder(): string {
  return `${os.hostname()} pid ${process.pid} #${crypto.randomBytes(6).toString('hex')}`;
}

/**
 * Takes the lease `name` in one statement, or throws CONFLICT when someone else holds an
 * unexpired one. Insert-or-take-over is a single upsert whose update applies only to an
 * expired row (threat: two replicas' cron ticks both starting an import). Both SQLite and
 * PostgreSQL run it atomically: on PostgreSQL a concurrent upsert of the same name waits
 * for the first to commit and then evaluates the WHERE against the row it wrote, so the
 * second finds it unexpired and gets no row back.
 *
 * `now` is the caller's clock (replicas' clocks must agree to well within the TTL, which
 * NTP does); `what` names the run in the message, as in "another import run".
 */
export async function acquireLease(
  db: Queryable,
  name: string,
  opts: { now: () => Date; ttlMs?: number; what?: string },
): Promise<Lease> {
  const ttlMs = opts.ttlMs ?? LEASE_TTL_MS;
  const holder = newHolder();
  const now = opts.now();
  const row = {
    name,
    holder,
    acquired_at: now.toISOString(),
    expires_at: new Date(now.getTime() + ttlMs).toISOString(),
  };
  const won = await db
    .insertInto('run_leases')
    .values(row)
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({
          holder: (eb) => eb.ref('excluded.holder'),
          acquired_at: (eb) => eb.ref('excluded.acquired_at'),
          expires_at: (eb) => eb.ref('excluded.expires_at'),
        })
        .where('run_leases.expires_at', '<=', row.acquired_at),
    )
    .returning('holder')
    .executeTakeFirst();
  if (won?.holder !== holder) throw await heldBy(db, name, opts.what ?? name);
  return heldLease(db, name, holder, new Date(row.expires_at), opts.now, ttlMs);
}

async function heldBy(db: Queryable, name: string, what: string): Promise<VmicError> {
  const other = await db
    .selectFrom('run_leases')
    .select(['holder', 'acquired_at', 'expires_at'])
    .where('name', '=', name)
    .executeTakeFirst();
  return new VmicError(
    'CONFLICT',
    other
      ? `another ${what} run is in progress (${other.holder}, started ${other.acquired_at}, lease until ${other.expires_at}); exiting`
      : `another ${what} run was in progress a moment ago; exiting`,
  );
}

function heldLease(
  db: Queryable,
  name: string,
  holder: string,
  expiresAt: Date,
  now: () => Date,
  ttlMs: number,
): Lease {
  let released = false;
  return {
    name,
    holder,
    get expiresAt() {
      return expiresAt;
    },
    async renew() {
      const until = new Date(now().getTime() + ttlMs);
      // Only our own, unexpired lease: one that expired may already be someone else's
      // (or free), and renewing it would give two holders.
      const r = await db
        .updateTable('run_leases')
        .set({ expires_at: until.toISOString() })
        .where('name', '=', name)
        .where('holder', '=', holder)
        .where('expires_at', '>', now().toISOString())
        .executeTakeFirst();
      if (released || Number(r.numUpdatedRows) !== 1)
        throw new VmicError('CONFLICT', `the ${name} lease was lost (expired or taken over)`);
      expiresAt = until;
    },
    async release() {
      if (released) return;
      released = true;
      await db
        .deleteFrom('run_leases')
        .where('name', '=', name)
        .where('holder', '=', holder)
        .execute();
    },
  };
}
