import { sql, type Kysely } from 'kysely';

/**
 * Two-person approval (issue 18, policy `approval-quorum`): an image or endorser approval
 * is one row per approver, and approvals count once enough distinct people hold one. An
 * approver has at most one active approval of the same thing, so that nobody counts twice
 * (threat: one person approving twice to meet a two-person rule). These partial unique
 * indexes refuse a second active row by the same actor even if two writers raced past the
 * check in approvals.ts (write-transaction.ts keeps that race from happening). Revoked rows
 * are history and stay as they are.
 */
export async function up0019(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('approvals_one_active_image_per_approver')
    .on('approvals')
    .columns(['subscription_id', 'sha256', 'approved_by'])
    .unique()
    .where(sql.ref('kind'), '=', 'image')
    .where(sql.ref('revoked_at'), 'is', null)
    .execute();
  await db.schema
    .createIndex('approvals_one_active_endorser_per_approver')
    .on('approvals')
    .columns(['subscription_id', 'approved_by'])
    .unique()
    .where(sql.ref('kind'), '=', 'endorser')
    .where(sql.ref('revoked_at'), 'is', null)
    .execute();
}
