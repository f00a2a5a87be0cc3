import type { Kysely } from 'kysely';

/** Schema for migration crash safety and refused transfers. */
export async function up0008(db: Kysely<unknown>): Promise<void> {
  void db;
}
