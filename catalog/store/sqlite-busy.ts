import type SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
} from 'kysely';
import { LOCK_WAIT_MS, lockTimeout } from './lock-wait.ts';
import { StatementCache } from './statement-cache.ts';

const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 50;

function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** kysely's single-connection mutex, which a waiting statement gives up while it sleeps. */
class ConnectionMutex {
  #held: Promise<void> | undefined;
  #release: (() => void) | undefined;

  async lock(): Promise<void> {
    while (this.#held) await this.#held;
    this.#held = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  unlock(): void {
    const release = this.#release;
    this.#held = undefined;
    this.#release = undefined;
    release?.();
  }
}

/**
 * One better-sqlite3 connection shared by every query, as in kysely's own SQLite driver,
 * with one difference: a statement refused with SQLITE_BUSY outside a transaction did
 * nothing, so it gives the connection back, sleeps, and tries again.
 *
 * SQLite's own busy timeout waits *synchronously* inside the statement: while the CLI
 * publishes (holding the write lock for seconds) the server's event loop would sit in
 * that wait and answer nothing, not even /healthz (threat: one writer stalling every
 * request). Giving the connection back matters as much: reads of other requests (WAL
 * readers never wait for a writer) go on while this write waits its turn.
 */
class WaitingConnection implements DatabaseConnection {
  readonly #statements: StatementCache;

  constructor(
    private readonly sqlite: SqliteDatabase.Database,
    private readonly mutex: ConnectionMutex,
  ) {
    this.#statements = new StatementCache(sqlite);
  }

  private run<R>(query: CompiledQuery): QueryResult<R> {
    const stmt = this.#statements.get(query.sql);
    const parameters = query.parameters as unknown[];
    if (stmt.reader) return { rows: stmt.all(...parameters) as R[] };
    const { changes, lastInsertRowid } = stmt.run(...parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let backoff = FIRST_BACKOFF_MS; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
      try {
        return this.run<R>(query);
      } catch (e) {
        // Inside a transaction the lock was taken by `begin immediate`; in WAL mode no
        // later statement waits for another writer, so a busy error there is final.
        if (!isBusy(e) || this.sqlite.inTransaction) throw e;
        if (Date.now() >= deadline) throw lockTimeout(e);
        this.mutex.unlock();
        await new Promise((resolve) => setTimeout(resolve, backoff));
        await this.mutex.lock();
      }
    }
  }

  // The driver interface asks for an async iterator; better-sqlite3 iterates synchronously.
  // eslint-disable-next-line @typescript-eslint/require-await
  async *streamQuery<R>(query: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    // Not from the cache: a statement being iterated cannot run again until it is done.
    const stmt = this.sqlite.prepare(query.sql);
    for (const row of stmt.iterate(...(query.parameters as unknown[]))) yield { rows: [row as R] };
  }
}

/** A statement outside kysely (a pragma) with the same asynchronous lock wait. */
export async function waitForLock<T>(statement: () => T): Promise<T> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let backoff = FIRST_BACKOFF_MS; ; backoff = Math.min(backoff * 2, MAX_BACKOFF_MS)) {
    try {
      return statement();
    } catch (e) {
      if (!isBusy(e)) throw e;
      if (Date.now() >= deadline) throw lockTimeout(e);
      await new Promise((resolve) => setTimeout(resolve, backoff));
    }
  }
}

class WaitingDriver implements Driver {
  readonly #mutex = new ConnectionMutex();
  readonly #connection: WaitingConnection;

  constructor(private readonly sqlite: SqliteDatabase.Database) {
    this.#connection = new WaitingConnection(sqlite, this.#mutex);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.#mutex.lock();
    return this.#connection;
  }

  /**
   * `begin immediate` takes the write lock at once or fails having taken nothing, so the
   * wait cannot leave a half-open transaction; a deferred `begin` could fail later, at
   * its first write, after reads that another writer has since made stale.
   */
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  releaseConnection(): Promise<void> {
    this.#mutex.unlock();
    return Promise.resolve();
  }

  destroy(): Promise<void> {
    this.sqlite.close();
    return Promise.resolve();
  }
}

/** kysely's SQLite dialect with lock waits on timers instead of SQLite's busy loop. */
export class NonBlockingSqliteDialect extends SqliteDialect {
  constructor(private readonly sqlite: SqliteDatabase.Database) {
    super({ database: sqlite });
  }

  override createDriver(): Driver {
    return new WaitingDriver(this.sqlite);
  }
}
