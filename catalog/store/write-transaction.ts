import { sql, type Transaction } from 'kysely';
import type { Database } from './schema.ts';
import type { Store } from './database.ts';

export type Tx = Transaction<Database>;

/**
 * Runs `fn` in one transaction that holds the write lock from its first statement.
 * Threat: two processes (the web server and the import cron job) reading the same audit
 * chain head or catalog sequence and both appending after it; taking the lock before any
 * read makes such read-then-write steps serial across processes.
 */
export function writeTransaction<T>(store: Store, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return store.db.transaction().execute(async (tx) => {
    await sql`update instance_meta set value = value where key = 'write-lock'`.execute(tx);
    return fn(tx);
  });
}
