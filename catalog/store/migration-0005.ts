import { type Kysely } from 'kysely';

/** Schema: Web admin sessions, server-side (docs/design.md §10). */
export async function up0005(db: Kysely<unknown>): Promise<void> {
  // Web admin sessions, server-side: the cookie carries only a random id, and the
  // table keys rows by its SHA-256, so a copy of the database yields no usable cookie.
  await db.schema
    .createTable('web_sessions')
    .addColumn('sid_hash', 'text', (c) => c.primaryKey())
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('web_sessions_expires_at')
    .on('web_sessions')
    .column('expires_at')
    .execute();
}
