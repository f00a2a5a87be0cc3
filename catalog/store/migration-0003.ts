import { sql, type Kysely } from 'kysely';

/** Schema: HEPiX image lists (docs/design.md §3): the export stored beside each catalog version, the subscription's format, and what a list carries that the RDF catalog does not. */
export async function up0003(db: Kysely<unknown>): Promise<void> {
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
}
