import { sql, type Kysely } from 'kysely';

/** Schema: Endorsers, images, blobs, catalog versions, the audit log and API tokens (docs/design.md §2, §5). */
export async function up0001(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('instance_meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
  await sql`insert into instance_meta (key, value) values ('write-lock', '0')`.execute(db);

  await db.schema
    .createTable('endorsers')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('certificate_pem', 'text', (c) => c.notNull())
    .addColumn('chain_pem', 'text', (c) => c.notNull())
    .addColumn('sealed_key', 'blob', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('blobs')
    .addColumn('sha256', 'text', (c) => c.primaryKey())
    .addColumn('sha512', 'text')
    .addColumn('byte_size', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('images')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('endorser_id', 'integer', (c) =>
      c.notNull().references('endorsers.id').onDelete('restrict'),
    )
    .addColumn('identifier', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('version', 'text')
    .addColumn('os_family', 'text')
    .addColumn('os_name', 'text')
    .addColumn('os_version', 'text')
    .addColumn('arch', 'text')
    .addColumn('hypervisor', 'text')
    .addColumn('format', 'text')
    .addColumn('byte_size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('sha512', 'text')
    .addColumn('download_url', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('endorsed','withdrawn')`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('images_endorser_identifier', ['endorser_id', 'identifier'])
    .execute();

  await db.schema
    .createTable('catalog_versions')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('endorser_id', 'integer', (c) =>
      c.notNull().references('endorsers.id').onDelete('restrict'),
    )
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('image_count', 'integer', (c) => c.notNull())
    .addColumn('nquads', 'text', (c) => c.notNull())
    .addColumn('turtle', 'text', (c) => c.notNull())
    .addColumn('jsonld', 'text', (c) => c.notNull())
    .addColumn('p7m', 'blob', (c) => c.notNull())
    .addColumn('p7s', 'blob', (c) => c.notNull())
    .addColumn('content_sha256', 'text', (c) => c.notNull())
    .addUniqueConstraint('catalog_versions_endorser_sequence', ['endorser_id', 'sequence'])
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('endorser', 'text')
    .addColumn('description', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();
}
