import type { Kysely } from 'kysely';

/**
 * The site's software inventories (issue 19 part 2, docs/design.md §6, §7):
 * - site_sboms: one row per SBOM SHA-256 a catalog signed: `verified` with the document
 *   (bytes whose SHA-256 and size equal the signed ones, at most 16 MiB), `quarantined`
 *   (the mirror served other bytes; their SHA-256 kept as evidence, the bytes not), or
 *   `unreadable` (verified bytes that are no inventory we can read, or past the bounds).
 * - site_inventory_packages: the packages of each verified, readable SBOM; what
 *   `inventory search` and the `deny-package` gate rule read. `name_key` is the
 *   lowercased name the index is searched by.
 */
export async function up0023(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('site_sboms')
    .addColumn('sha256', 'text', (c) => c.primaryKey())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('byte_size', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('actual_sha256', 'text')
    .addColumn('document', 'blob')
    .addColumn('format', 'text')
    .addColumn('package_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('source_url', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('site_inventory_packages')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('sbom_sha256', 'text', (c) => c.notNull().references('site_sboms.sha256'))
    .addColumn('purl', 'text')
    .addColumn('type', 'text')
    .addColumn('namespace', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('version', 'text')
    .execute();
  await db.schema
    .createIndex('site_inventory_packages_name')
    .on('site_inventory_packages')
    .columns(['name_key', 'sbom_sha256'])
    .execute();
  await db.schema
    .createIndex('site_inventory_packages_sbom')
    .on('site_inventory_packages')
    .columns(['sbom_sha256', 'name_key'])
    .execute();
}
