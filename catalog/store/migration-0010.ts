import type { Kysely } from 'kysely';

/**
 * Indexes for the deploy gate, which a deployment system asks before every boot:
 * - `site_images(identifier)`: an image is asked for by identifier across subscriptions;
 *   the unique (subscription_id, identifier) cannot serve that, so each question scanned
 *   every imported image;
 * - `site_catalogs(subscription_id, sequence, …)` covering what the gate reads of the
 *   newest catalog: in the row those columns sit after the signed catalog (`p7m`, megabytes
 *   for a large catalog), which SQLite would otherwise walk on every question.
 */
export async function up0010(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('site_images_identifier')
    .on('site_images')
    .column('identifier')
    .execute();
  await db.schema
    .createIndex('site_catalogs_gate')
    .on('site_catalogs')
    .columns([
      'subscription_id',
      'sequence',
      'issued_at',
      'expires_at',
      'format',
      'verified_at',
      'signer_subject',
    ])
    .execute();
}
