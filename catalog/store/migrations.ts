import { sql, type Kysely, type Migration } from 'kysely';
import { up0004 } from './migration-0004.ts';
import { up0006 } from './migration-0006.ts';
import { up0007 } from './migration-0007.ts';
import { up0008 } from './migration-0008.ts';

/*
 * Schema migrations, append-only. Written with kysely's schema builder so that the same
 * migrations run on SQLite and PostgreSQL (docs/design.md §9: the scale-out step must not
 * rewrite the store).
 */
export const migrations: Record<string, Migration> = {
  '0001-endorser-catalogs': {
    async up(db: Kysely<unknown>) {
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
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('endorsed','withdrawn')`),
        )
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
    },
  },
  '0002-site': {
    async up(db: Kysely<unknown>) {
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
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('endorsed','withdrawn')`),
        )
        .addColumn('first_sequence', 'integer', (c) => c.notNull())
        .addColumn('last_sequence', 'integer', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addUniqueConstraint('site_images_subscription_identifier', [
          'subscription_id',
          'identifier',
        ])
        .execute();
      await db.schema
        .createIndex('site_images_sha256')
        .on('site_images')
        .column('sha256')
        .execute();
      // The site cache: one row per expected SHA-256. `verified` means bytes whose hash and
      // size matched were moved into the cache; `quarantined` keeps mismatching bytes aside.
      await db.schema
        .createTable('cache_entries')
        .addColumn('sha256', 'text', (c) => c.primaryKey())
        .addColumn('byte_size', 'integer', (c) => c.notNull())
        .addColumn('state', 'text', (c) =>
          c.notNull().check(sql`state in ('verified','quarantined')`),
        )
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
    },
  },
  '0004-migrations': { up: up0004 },
  '0005-web-sessions': {
    async up(db: Kysely<unknown>) {
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
    },
  },
  '0003-hepix': {
    // HEPiX image lists (docs/design.md §3): the export stored beside each catalog version, the
    // subscription's format, and what a list carries that the RDF catalog does not.
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('catalog_versions').addColumn('image_list', 'blob').execute();
      await db.schema
        .alterTable('subscriptions')
        .addColumn('format', 'text', (c) =>
          c
            .notNull()
            .defaultTo('rdf')
            .check(sql`format in ('rdf','hepix')`),
        )
        .execute();
      await db.schema
        .alterTable('site_catalogs')
        .addColumn('format', 'text', (c) => c.notNull().defaultTo('rdf'))
        .execute();
      // hv:version is a dotted string, not our integer sequence; dc:identifier names the list.
      await db.schema.alterTable('site_catalogs').addColumn('list_version', 'text').execute();
      await db.schema.alterTable('site_catalogs').addColumn('list_identifier', 'text').execute();
      await db.schema.alterTable('site_images').addColumn('sha512', 'text').execute();
      // The list's keys that have no column (AppDB's ad:*, sl:comments, ...), as JSON.
      await db.schema.alterTable('site_images').addColumn('extra', 'text').execute();
      await db.schema.alterTable('cache_entries').addColumn('sha512', 'text').execute();
      await db.schema
        .createIndex('cache_entries_sha512')
        .on('cache_entries')
        .column('sha512')
        .execute();
    },
  },
  // Site freshness: a feed answering 304 records when it was last checked unchanged.
  '0006-site-freshness': { up: up0006 },
  // Issuer pins learned on first use, for subscriptions.
  '0007-issuer-pins': { up: up0007 },
  // Crash safety and refused transfers for migrations.
  '0008-migration-safety': { up: up0008 },
};
