import { sql, type Transaction } from 'kysely';
import type { Database } from './schema.ts';
import type { Store } from './database.ts';
import { logGrewIn } from '../log/instance-log.ts';

export type Tx = Transaction<Database>;

/**
 * Runs `fn` in one transaction that holds the write lock from its first statement.
 *
 * Threat: two writers (the web server and the import cron job; on PostgreSQL, several
 * replicas) reading the same state and both writing after it. The read-then-writes that
 * must never interleave, each done only inside this function:
 * - the audit chain head (audit/audit-log.ts appendAudit): two entries after the same head
 *   would fork the chain (`vmic audit verify` fails);
 * - an endorser's catalog sequence (publish.ts): two versions with one sequence, or a gap,
 *   is equivocation by our own server;
 * - a migration's nonce (migration/receive.ts): a replay accepted twice;
 * - approvals (site/approvals.ts): "approve if not yet approved" granting twice, or an
 *   unapproval missing an approval granted meanwhile.
 * The unique keys (audit_log.seq, catalog_versions(endorser_id, sequence),
 * received_nonces.nonce) would refuse a lost race; the lock keeps it from happening.
 *
 * How the first statement serialises them:
 * - SQLite: the transaction began with `begin immediate` (sqlite-busy.ts), so it already
 *   holds the database's single write lock; the update is a no-op there.
 * - PostgreSQL: the update takes the row lock of `instance_meta('write-lock')`, held to
 *   commit or rollback; a second writer blocks on it (at most `lock_timeout`, postgres.ts)
 *   until the first commits. Transactions run at READ COMMITTED (pg-dialect.ts), where
 *   every statement takes a new snapshot: each statement after the lock sees everything
 *   the previous writer committed, so the chain head and the sequence it reads are the
 *   newest. (At REPEATABLE READ the snapshot would predate the wait, and the update would
 *   fail with a serialisation error instead.) A row lock rather than
 *   `pg_advisory_xact_lock`: the same statement on both stores, and no lock key to keep
 *   apart from other users of the database.
 */
export async function writeTransaction<T>(store: Store, fn: (tx: Tx) => Promise<T>): Promise<T> {
  let appended = false;
  const result = await lockedTransaction(store, async (tx) => {
    const r = await fn(tx);
    appended = logGrewIn(tx);
    return r;
  });
  // After the commit: the checkpoint of the new tree is signed (catalog/log/checkpoints.ts).
  if (appended) await store.afterLogAppend?.();
  return result;
}

/** The transaction and its write lock alone, without the log's after-commit signing. */
export function lockedTransaction<T>(store: Store, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return store.db.transaction().execute(async (tx) => {
    await sql`update instance_meta set value = value where key = 'write-lock'`.execute(tx);
    return fn(tx);
  });
}
