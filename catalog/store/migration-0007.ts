import type { Kysely } from 'kysely';

/**
 * Issuer pins learned on first use (threat: a second CA with the same subject DN, trusted
 * for another purpose, issuing a certificate with the endorser's subject). The first
 * verified import of a subscription records the issuing CA's subject and the SHA-256 of
 * its public key; later catalogs must come from the same CA key.
 */
export async function up0007(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('subscriptions').addColumn('pinned_issuer', 'text').execute();
  await db.schema.alterTable('subscriptions').addColumn('pinned_issuer_key', 'text').execute();
  await db.schema.alterTable('subscriptions').addColumn('pinned_at', 'text').execute();
}
