import path from 'node:path';
import type { InstanceConfig } from '../config.ts';
import type { Store } from './database.ts';

export const DATABASE_FILE = 'vmic.sqlite';

/**
 * The instance's database: PostgreSQL when a database URL is configured (replicas share
 * it), else the SQLite file in the data directory. Each driver is loaded only when used,
 * so that a short command on SQLite does not pay for `pg`, and a replica on PostgreSQL
 * does not load the SQLite addon.
 */
export async function openStore(config: InstanceConfig): Promise<Store> {
  if (config.databaseUrl !== undefined) {
    const { openPostgresStore } = await import('./postgres.ts');
    return openPostgresStore(config.databaseUrl);
  }
  const { openSqliteStore } = await import('./sqlite-store.ts');
  return openSqliteStore(path.join(config.dataDir, DATABASE_FILE));
}
