import { Migrator, type Kysely, type MigrationProvider, type Migration } from 'kysely';
import { VmicError } from '../../errors/index.ts';
import type { Database } from './schema.ts';
import { migrations } from './migrations.ts';

/**
 * The store every catalog service takes: a typed query interface that is not tied to
 * SQLite (sqlite-store.ts) or PostgreSQL (postgres.ts), plus a close hook. This file loads
 * neither driver, so that importing the types costs nothing.
 */
export interface Store {
  readonly db: Kysely<Database>;
  close(): Promise<void>;
  /**
   * Run after a write transaction that appended to the transparency log has committed:
   * the instance signs the new checkpoint (catalog/log/checkpoints.ts). Set by openInstance.
   */
  afterLogAppend?: (() => Promise<void>) | undefined;
}

export type Queryable = Kysely<Database>;

const provider: MigrationProvider = {
  getMigrations: (): Promise<Record<string, Migration>> => Promise.resolve(migrations),
};

/**
 * Applies every migration not yet applied, on either dialect. `migrating` is the handle the
 * migrations run through (on PostgreSQL, with the type mapping of pg-schema-types.ts);
 * `db` is destroyed when a migration fails, so that a failed open leaves no pool behind.
 */
export async function migrateStore(
  db: Kysely<Database>,
  migrating: Kysely<Database> = db,
): Promise<void> {
  const { error, results } = await new Migrator({ db: migrating, provider }).migrateToLatest();
  if (!error) return;
  await db.destroy();
  const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
  // Whatever the migration threw (an Error in practice, which prints its name and message).
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  throw new VmicError('CONFIG', `database migration ${failed} failed: ${String(error)}`, {
    cause: error,
  });
}
