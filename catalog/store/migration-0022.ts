import type { Kysely } from 'kysely';

/**
 * The chain of trust in full (issue 19): what a catalog now says beyond the disk.
 * - images: the software inventory's SHA-256 (a blob in the store), media type and size;
 *   policy claims (JSON array of IRIs); where an adopted image comes from (JSON).
 * - endorsers: policy claims for the whole catalog (JSON array of IRIs).
 * - site_images / site_catalogs: the same facts as a verified catalog states them.
 * - subscriptions: the policies a site requires, and whether it checks provenance itself.
 * Every new column is null (or 0) for rows from before: nothing claimed, nothing required.
 */
export async function up0022(db: Kysely<unknown>): Promise<void> {
  for (const table of ['images', 'site_images']) {
    await db.schema.alterTable(table).addColumn('sbom_sha256', 'text').execute();
    await db.schema.alterTable(table).addColumn('sbom_media_type', 'text').execute();
    await db.schema.alterTable(table).addColumn('sbom_byte_size', 'integer').execute();
    await db.schema.alterTable(table).addColumn('conforms_to', 'text').execute();
    await db.schema.alterTable(table).addColumn('derived_from', 'text').execute();
  }
  await db.schema.alterTable('site_images').addColumn('sbom_url', 'text').execute();
  await db.schema.alterTable('endorsers').addColumn('conforms_to', 'text').execute();
  await db.schema.alterTable('site_catalogs').addColumn('conforms_to', 'text').execute();
  await db.schema.alterTable('subscriptions').addColumn('require_policies', 'text').execute();
  await db.schema
    .alterTable('subscriptions')
    .addColumn('verify_provenance', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
