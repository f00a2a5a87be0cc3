import type { Kysely } from 'kysely';

/**
 * The deploy gate's kept signer checks: for the newest catalog of each subscription, the
 * result of validating its signer's path at some time, and the time window around it in
 * which no certificate or CRL held changes state (catalog/site/signer-checks.ts). One row
 * per subscription; it holds only for the catalog version (sequence, verified_at), trust
 * store generation and revocation policy it names.
 *
 * And an index for the gate's approval lookup (gate-query.ts), which scanned every
 * approval of the site on each question.
 */
export async function up0013(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('gate_signer_checks')
    .addColumn('subscription_id', 'integer', (c) =>
      c.primaryKey().references('subscriptions.id').onDelete('cascade'),
    )
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('verified_at', 'text', (c) => c.notNull())
    .addColumn('trust_generation', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('code', 'text')
    .addColumn('message', 'text')
    // ISO times; NULL is unbounded.
    .addColumn('valid_from', 'text')
    .addColumn('valid_until', 'text')
    .addColumn('checked_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('approvals_subscription')
    .on('approvals')
    .columns(['subscription_id', 'revoked_at'])
    .execute();
}
