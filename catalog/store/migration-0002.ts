import { sql, type Kysely } from 'kysely';

/** Schema: The site: trust store, policy, subscriptions, imported catalogs and images, the cache and approvals (docs/design.md §6, §7). */
export async function up0002(db: Kysely<unknown>): Promise<void> {
  // Trust store: anchors (trusted by configuration) and intermediates (path
  // candidates only, never trusted by themselves), plus CRLs checked against their issuer.
  await db.schema
    .createTable('trust_certificates')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('anchor','intermediate')`))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull().unique())
    .addColumn('not_before', 'text', (c) => c.notNull())
    .addColumn('not_after', 'text', (c) => c.notNull())
    .addColumn('der', 'blob', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('trust_crls')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('issuer_fingerprint', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull().unique())
    .addColumn('crl_number', 'text')
    .addColumn('this_update', 'text', (c) => c.notNull())
    .addColumn('next_update', 'text')
    .addColumn('revoked_count', 'integer', (c) => c.notNull())
    .addColumn('der', 'blob', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('site_policy')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('subscriptions')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('expect_subject', 'text', (c) => c.notNull())
    .addColumn('expect_issuer', 'text')
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('etag', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_checked_at', 'text')
    .addColumn('last_success_at', 'text')
    .addColumn('last_error_code', 'text')
    .addColumn('last_error_message', 'text')
    .addColumn('last_error_at', 'text')
    .execute();
  // Every verified catalog version a site applied, with the signed bytes, so that the
  // site can show (and re-check) exactly what it trusted.
  await db.schema
    .createTable('site_catalogs')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('subscription_id', 'integer', (c) =>
      c.notNull().references('subscriptions.id').onDelete('cascade'),
    )
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('issued_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('content_sha256', 'text', (c) => c.notNull())
    .addColumn('signer_subject', 'text', (c) => c.notNull())
    .addColumn('signer_issuer', 'text', (c) => c.notNull())
    .addColumn('signer_der', 'blob', (c) => c.notNull())
    .addColumn('chain_pem', 'text', (c) => c.notNull())
    .addColumn('p7m', 'blob', (c) => c.notNull())
    .addColumn('verified_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('site_catalogs_subscription_sequence', ['subscription_id', 'sequence'])
    .execute();
  await db.schema
    .createTable('site_images')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('subscription_id', 'integer', (c) =>
      c.notNull().references('subscriptions.id').onDelete('cascade'),
    )
    .addColumn('identifier', 'text', (c) => c.notNull())
    .addColumn('iri', 'text', (c) => c.notNull())
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
    .addColumn('download_url', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('endorsed','withdrawn')`))
    .addColumn('first_sequence', 'integer', (c) => c.notNull())
    .addColumn('last_sequence', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('site_images_subscription_identifier', ['subscription_id', 'identifier'])
    .execute();
  await db.schema.createIndex('site_images_sha256').on('site_images').column('sha256').execute();
  // The site cache: one row per expected SHA-256. `verified` means bytes whose hash and
  // size matched were moved into the cache; `quarantined` keeps mismatching bytes aside.
  await db.schema
    .createTable('cache_entries')
    .addColumn('sha256', 'text', (c) => c.primaryKey())
    .addColumn('byte_size', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('verified','quarantined')`))
    .addColumn('reason', 'text')
    .addColumn('actual_sha256', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('source_detail', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('approvals')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('subscription_id', 'integer', (c) =>
      c.notNull().references('subscriptions.id').onDelete('cascade'),
    )
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('image','endorser')`))
    .addColumn('identifier', 'text')
    .addColumn('sha256', 'text')
    .addColumn('approved_by', 'text', (c) => c.notNull())
    .addColumn('approved_at', 'text', (c) => c.notNull())
    .addColumn('revoked_by', 'text')
    .addColumn('revoked_at', 'text')
    .execute();
}
