import {
  CompiledQuery,
  PostgresDialect,
  type DatabaseConnection,
  type Driver,
  type PostgresDialectConfig,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { VmicError } from '../../errors/index.ts';
import { lockTimeout } from './lock-wait.ts';

/** PostgreSQL's SQLSTATE of a statement that waited `lock_timeout` for a lock. */
const LOCK_NOT_AVAILABLE = '55P03';
const DEADLOCK_DETECTED = '40P01';

/**
 * The same refusal as on SQLite (sqlite-busy.ts) for a write that waited too long for
 * another replica's write lock: CONFLICT, "try again", not an internal error.
 */
function mapped(e: unknown): unknown {
  const code = (e as { code?: unknown }).code;
  if (code === LOCK_NOT_AVAILABLE) return lockTimeout(e);
  if (code === DEADLOCK_DETECTED)
    return new VmicError('CONFLICT', 'a concurrent write to the database conflicted; try again', {
      cause: e,
    });
  return e;
}

class MappedConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(query);
    } catch (e) {
      throw mapped(e);
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

const inner = (c: DatabaseConnection): DatabaseConnection =>
  c instanceof MappedConnection ? c.inner : c;

/**
 * kysely's driver, its connections' errors mapped. Every new connection runs transactions
 * at READ COMMITTED whatever the server's default: writeTransaction's row lock relies on
 * each statement after the lock seeing the previous writer's commit (write-transaction.ts);
 * under REPEATABLE READ the transaction would keep the snapshot taken before the wait.
 */
class MappingDriver implements Driver {
  constructor(private readonly driver: Driver) {}

  init(): Promise<void> {
    return this.driver.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    return new MappedConnection(await this.driver.acquireConnection());
  }

  beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.driver.beginTransaction(inner(c), settings);
  }

  commitTransaction(c: DatabaseConnection): Promise<void> {
    return this.driver.commitTransaction(inner(c));
  }

  rollbackTransaction(c: DatabaseConnection): Promise<void> {
    return this.driver.rollbackTransaction(inner(c));
  }

  releaseConnection(c: DatabaseConnection): Promise<void> {
    return this.driver.releaseConnection(inner(c));
  }

  destroy(): Promise<void> {
    return this.driver.destroy();
  }
}

export class VmicPostgresDialect extends PostgresDialect {
  constructor(config: PostgresDialectConfig) {
    super({
      ...config,
      onCreateConnection: (connection) =>
        connection
          .executeQuery(CompiledQuery.raw("set default_transaction_isolation to 'read committed'"))
          .then(() => undefined),
    });
  }

  override createDriver(): Driver {
    return new MappingDriver(super.createDriver());
  }
}
