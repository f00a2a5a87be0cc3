import type { Queryable } from '../store/database.ts';

/** The active (not revoked) approvals of one subscription, for `approvingRow`. */
export function activeApprovals(db: Queryable, subscriptionId: number) {
  return db
    .selectFrom('approvals')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .where('revoked_at', 'is', null)
    .orderBy('id')
    .execute();
}

type ApprovalRow = { kind: string; sha256: string | null; approved_by: string };

/** How the approvals of one image version stand against the approval quorum. */
export interface ApprovalStanding<R> {
  /** The approval that counts (the oldest of its kind), when its kind has enough approvers. */
  counted: R | undefined;
  /** The kind the approvers below are of: image approvals first, else endorser approvals. */
  kind: 'image' | 'endorser' | undefined;
  /** The distinct people who approved that kind, in the order they did. */
  approvers: string[];
}

/**
 * The approval rule (docs/design.md §7), image approval first: an image approval binds to
 * the SHA-256, an endorser approval covers every image of the subscription. An image whose
 * SHA-256 is not known yet (null, or '' where a caller reports it so) is approved only by
 * an endorser approval. Under `approval-quorum` N, a kind counts once N distinct people
 * (actors) hold an active approval of it; image and endorser approvals are counted apart
 * (two people must approve the same thing). Rows come oldest first.
 */
export function approvalStanding<R extends ApprovalRow>(
  rows: readonly R[],
  sha256: string | null,
  quorum = 1,
): ApprovalStanding<R> {
  const image = rows.filter((r) => r.kind === 'image' && !!sha256 && r.sha256 === sha256);
  const endorser = rows.filter((r) => r.kind === 'endorser');
  const approversOf = (rs: readonly R[]) => [...new Set(rs.map((r) => r.approved_by))];
  for (const [kind, rs] of [
    ['image', image],
    ['endorser', endorser],
  ] as const)
    if (approversOf(rs).length >= quorum && rs.length > 0)
      return { counted: rs[0], kind, approvers: approversOf(rs) };
  // Not enough: report the kind with the most approvers, image approvals on a tie.
  const best = approversOf(endorser).length > approversOf(image).length ? endorser : image;
  if (best.length === 0) return { counted: undefined, kind: undefined, approvers: [] };
  return {
    counted: undefined,
    kind: best === image ? 'image' : 'endorser',
    approvers: approversOf(best),
  };
}

/** The approval that makes this image version approved under `quorum`, if any. */
export function approvingRow<R extends ApprovalRow>(
  rows: readonly R[],
  sha256: string | null,
  quorum = 1,
): R | undefined {
  return approvalStanding(rows, sha256, quorum).counted;
}
