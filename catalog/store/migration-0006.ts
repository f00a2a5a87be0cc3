import type { Kysely } from 'kysely';

/** Schema for site freshness (issue: gate freshness, 304 recorded as unchanged). */
export async function up0006(db: Kysely<unknown>): Promise<void> {
  void db;
}
