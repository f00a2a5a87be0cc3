import type { Kysely } from 'kysely';

/**
 * Signing keys in PKCS#11 tokens (issue 18): an endorser's key, or the site identity's,
 * may be named by an RFC 7512 URI instead of being sealed in the database; its
 * `sealed_key` is then empty. The
 * token holds the key, non-extractable: the database never has it.
 */
export async function up0018(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('endorsers').addColumn('key_uri', 'text').execute();
  await db.schema.alterTable('site_identity').addColumn('key_uri', 'text').execute();
}
