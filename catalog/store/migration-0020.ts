import type { Kysely } from 'kysely';

/**
 * Co-signed catalogs at the site (issue 18): a subscription may expect K distinct signers
 * among the subjects it pins (`--expect-signers K --expect-subject DN …`). Null for the
 * subscriptions that expect the one signer they always did: for those, a catalog with
 * more than one signer is still refused.
 */
export async function up0020(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('subscriptions').addColumn('expect_signers', 'integer').execute();
  await db.schema.alterTable('subscriptions').addColumn('expect_subjects', 'text').execute();
}
