import type { Kysely } from 'kysely';

/**
 * Site freshness, decided by the gate at decision time (threat: a feed host that answers
 * `304 Not Modified` for ever, or stops answering, keeping an old catalog deployable).
 * The catalog's `issued_at` is already stored; what was missing is when the feed last
 * said "unchanged", and each image's own expiry (HEPiX `dc:date:expires`).
 */
export async function up0006(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('subscriptions').addColumn('last_not_modified_at', 'text').execute();
  await db.schema.alterTable('site_images').addColumn('expires_at', 'text').execute();
}
