import type { Queryable } from '../store/database.ts';

/** The active (not revoked) approvals of one subscription, for `approvingRow`. */
export function activeApprovals(db: Queryable, subscriptionId: number) {
  return db
    .selectFrom('approvals')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .where('revoked_at', 'is', null)
    .execute();
}

/**
 * The approval rule (docs/design.md §7), image approval first: an image approval binds to
 * the SHA-256, an endorser approval covers every image of the subscription. An image whose
 * SHA-256 is not known yet (null, or '' where a caller reports it so) is approved only by
 * an endorser approval.
 */
export function approvingRow<R extends { kind: string; sha256: string | null }>(
  rows: readonly R[],
  sha256: string | null,
): R | undefined {
  return (
    rows.find((r) => r.kind === 'image' && !!sha256 && r.sha256 === sha256) ??
    rows.find((r) => r.kind === 'endorser')
  );
}
