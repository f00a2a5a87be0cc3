import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely } from 'kysely';
import { NonBlockingSqliteDialect, waitForLock } from './sqlite-busy.ts';
import type { Database } from './schema.ts';
import { migrateStore, type Store } from './database.ts';
import { migrations } from './migrations.ts';

/**
 * The compiled SQLite addon, named directly. Left to itself better-sqlite3 looks for it
 * with the `bindings` package, which walks directories and stack traces: a third of the
 * start-up of a short command (`vmic check`). Undefined (the library's own search) when
 * the addon is not where a build from source puts it.
 */
function nativeBinding(): string | undefined {
  try {
    const file = createRequire(import.meta.url).resolve(
      'better-sqlite3/build/Release/better_sqlite3.node',
    );
    return fs.existsSync(file) ? file : undefined;
  } catch {
    return undefined;
  }
}

/** Opens (creating if needed) the instance database file and brings its schema up to date. */
export async function openSqliteStore(file: string): Promise<Store> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const binding = nativeBinding();
  const sqlite = new SqliteDatabase(file, binding ? { nativeBinding: binding } : {});
  // WAL lets the web server read while the import cron job writes. Concurrent writers
  // queue on timers in NonBlockingSqliteDialect, not in SQLite's synchronous busy wait,
  // which would freeze the event loop; the pragma is set before the WAL switch so that
  // even that first statement waits its turn asynchronously.
  sqlite.pragma('busy_timeout = 0');
  await waitForLock(() => sqlite.pragma('journal_mode = WAL'));
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new NonBlockingSqliteDialect(sqlite) });
  if (!schemaIsCurrent(sqlite)) await migrateStore(db);
  return { db, close: () => db.destroy() };
}

/**
 * Whether every migration this code knows has been applied, and no other: then opening
 * needs no migrator (its table introspection and lock cost a short command more than its
 * work). Anything else, a new file or a newer code's extra migration included, goes
 * through the migrator, which applies what is missing or reports what it cannot.
 */
function schemaIsCurrent(sqlite: SqliteDatabase.Database): boolean {
  const table = sqlite
    .prepare("select 1 from sqlite_master where type = 'table' and name = 'kysely_migration'")
    .get();
  if (!table) return false;
  const applied = sqlite.prepare('select name from kysely_migration order by name').pluck().all();
  const known = Object.keys(migrations).sort();
  return applied.length === known.length && known.every((name, i) => applied[i] === name);
}
