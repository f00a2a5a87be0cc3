import pg from 'pg';
import { Kysely, sql } from 'kysely';
import { VmicError } from '../../errors/index.ts';
import { migrateStore, type Store } from './database.ts';
import { LOCK_WAIT_MS } from './lock-wait.ts';
import { VmicPostgresDialect } from './pg-dialect.ts';
import { SqliteTypesOnPostgres } from './pg-schema-types.ts';
import { pgTypes } from './pg-types.ts';
import { redactDatabaseUrl, scrub, secretsOf } from './redact-url.ts';
import type { Database } from './schema.ts';

const IDLE_IN_TRANSACTION_MS = 10 * 60_000;

/**
 * Opens the PostgreSQL database that replicas share and brings its schema up to date.
 *
 * Several replicas starting at once migrate once: kysely's Migrator on PostgreSQL takes a
 * session-level `pg_advisory_lock` before it reads which migrations are applied, and runs
 * them in one transaction (DDL is transactional there); a second replica waits on the
 * lock, then finds every migration applied and does nothing. Its `create table if not
 * exists` of the bookkeeping tables tolerates the same race.
 */
export async function openPostgresStore(url: string): Promise<Store> {
  const secrets = secretsOf(url);
  const pool = new pg.Pool({
    connectionString: url,
    types: pgTypes,
    // Threat: a replica cut off or hung mid-transaction keeps the write lock, and every
    // other replica's writes wait on it. The server ends such a session once it has sat
    // idle inside a transaction this long (far above the longest pause between statements
    // of a real write: streaming a large catalog's files to the blob store), and drops
    // its locks; keepalives let the replica itself notice a dead connection in minutes.
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_MS,
    keepAlive: true,
    keepAliveInitialDelayMillis: 60_000,
    // The same wait as SQLite's (sqlite-busy.ts) for another writer's lock.
    lock_timeout: LOCK_WAIT_MS,
    application_name: 'vmic',
  });
  // pg emits errors of idle connections (a server restart) on the pool; unhandled, such an
  // event would end the process. The next query opens a fresh connection.
  pool.on('error', (e) => {
    process.stderr.write(
      `vmic: an idle PostgreSQL connection failed: ${scrub(e.message, secrets)}\n`,
    );
  });
  const db = new Kysely<Database>({ dialect: new VmicPostgresDialect({ pool }) });
  try {
    await sql`select 1`.execute(db);
  } catch (e) {
    await db.destroy();
    // The cause is left out: it is pg's error, which a logger would print whole.
    throw new VmicError(
      'CONFIG',
      `cannot reach the database ${redactDatabaseUrl(url)}: ${scrub(String((e as Error).message), secrets)}`,
    );
  }
  await migrateStore(db, db.withPlugin(new SqliteTypesOnPostgres()));
  return { db, close: () => db.destroy() };
}
