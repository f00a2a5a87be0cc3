import type { Kysely } from 'kysely';

/** Shared state of replicas: run leases, SAML request ids, rate-limit buckets (filled in by issue 15). */
export async function up0014(_db: Kysely<unknown>): Promise<void> {
  // Placeholder while the tables are designed; replaced before any release.
}
