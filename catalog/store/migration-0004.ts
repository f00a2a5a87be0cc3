import { sql, type Kysely } from 'kysely';

/** Schema of site-to-site migrations (docs/design.md §8): identity, peers, records, keys, nonces. */
export async function up0004(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('site_identity')
    .addColumn('id', 'integer', (c) => c.primaryKey().check(sql`id = 1`))
    .addColumn('certificate_pem', 'text', (c) => c.notNull())
    .addColumn('chain_pem', 'text', (c) => c.notNull())
    .addColumn('sealed_key', 'blob', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('peers')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('url', 'text')
    .addColumn('certificate_pem', 'text')
    .addColumn('expect_subject', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('migrations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('direction', 'text', (c) =>
      c.notNull().check(sql`direction in ('outgoing','incoming')`),
    )
    .addColumn('peer', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('image', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('byte_size', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('running','done','failed')`))
    .addColumn('reason_code', 'text')
    .addColumn('reason_message', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('migration_stages')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('migration_id', 'text', (c) =>
      c.notNull().references('migrations.id').onDelete('cascade'),
    )
    .addColumn('stage', 'text', (c) =>
      c.notNull().check(sql`stage in ('export','transfer','import')`),
    )
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('running','done','failed')`))
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('reason_code', 'text')
    .addColumn('detail', 'text', (c) => c.notNull())
    .execute();
  // Replay protection: a manifest nonce is accepted once, ever.
  await db.schema
    .createTable('received_nonces')
    .addColumn('nonce', 'text', (c) => c.primaryKey())
    .addColumn('migration_id', 'text', (c) => c.notNull())
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute();
  // The receiving site's key manager: each migrated data key, sealed at rest.
  await db.schema
    .createTable('migrated_keys')
    .addColumn('migration_id', 'text', (c) => c.primaryKey())
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('sealed_key', 'blob', (c) => c.notNull())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .execute();
}
