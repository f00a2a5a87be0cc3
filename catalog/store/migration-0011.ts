import type { Kysely } from 'kysely';

/** The files of a catalog version, in the order of the columns added below. */
export const VERSION_FILE_COLUMNS = [
  'nquads',
  'turtle',
  'jsonld',
  'p7m',
  'p7s',
  'image_list',
] as const;

/**
 * A catalog version's files (N-Quads, Turtle, JSON-LD, the two CMS forms, the HEPiX list)
 * move out of the row into the blob store, which the row names by SHA-256 and size
 * (`<file>_sha256`, `<file>_size`). As values, a 100,000-image version exceeded SQLite's
 * largest string or blob (`SQLITE_TOOBIG`), and every read of the row loaded hundreds of MB.
 *
 * Existing rows keep their inline values and are read as they are (catalog-versions.ts
 * takes either form): moving them would need the blob store, which a schema migration
 * does not have (it sees only the database, and must run the same on PostgreSQL), and a
 * half-moved store after a crash would be worse than none moved. Rows written from now on
 * hold '' and an empty blob in the old NOT NULL columns; SQLite cannot drop NOT NULL
 * without rebuilding the table, which would copy every inline catalog once more.
 */
export async function up0011(db: Kysely<unknown>): Promise<void> {
  for (const file of VERSION_FILE_COLUMNS) {
    await db.schema.alterTable('catalog_versions').addColumn(`${file}_sha256`, 'text').execute();
    await db.schema.alterTable('catalog_versions').addColumn(`${file}_size`, 'integer').execute();
  }
}
