import type { Queryable } from '../store/database.ts';
import { approvalStanding } from './approval-rule.ts';

export interface Approval {
  id: number;
  subscription: string;
  kind: 'image' | 'endorser';
  identifier: string | undefined;
  sha256: string | undefined;
  /** Who granted this approval (under a quorum, the first of `approvers`). */
  approvedBy: string;
  approvedAt: string;
  /** Under `approval-quorum` above 1: every distinct person whose approval counts. */
  approvers?: string[];
}

/** The stored approval-quorum (policy-schema.ts checks it when it is set); 1 when unset. */
export async function approvalQuorumOf(db: Queryable): Promise<number> {
  const row = await db
    .selectFrom('site_policy')
    .select('value')
    .where('key', '=', 'approval-quorum')
    .executeTakeFirst();
  return quorumValue(row?.value ?? null);
}

/** The stored text of approval-quorum as a count (1 when unset). */
export function quorumValue(text: string | null): number {
  const n = text === null ? 1 : Number(text);
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

/** The active approvals of one subscription, oldest first. */
export function active(db: Queryable, subscriptionId: number) {
  return db
    .selectFrom('approvals')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .where('revoked_at', 'is', null)
    .orderBy('id');
}

/** The approval that makes this image version approved, if any (approval-rule.ts). */
export async function approvalFor(
  db: Queryable,
  subscriptionId: number,
  sha256: string | null,
): Promise<Approval | undefined> {
  const rows = await active(db, subscriptionId).execute();
  const sub = await db
    .selectFrom('subscriptions')
    .select('name')
    .where('id', '=', subscriptionId)
    .executeTakeFirstOrThrow();
  const quorum = await approvalQuorumOf(db);
  const standing = approvalStanding(rows, sha256, quorum);
  if (!standing.counted) return undefined;
  return {
    ...toApproval(standing.counted, sub.name),
    ...(quorum > 1 ? { approvers: standing.approvers } : {}),
  };
}

/** Every active approval, one per approver (under a quorum, several per image or endorser). */
export async function listApprovals(db: Queryable): Promise<Approval[]> {
  const rows = await db
    .selectFrom('approvals')
    .innerJoin('subscriptions', 'subscriptions.id', 'approvals.subscription_id')
    .selectAll('approvals')
    .select('subscriptions.name as subscription')
    .where('approvals.revoked_at', 'is', null)
    .orderBy('subscriptions.name')
    .orderBy('approvals.approved_at')
    .execute();
  return rows.map((r) => toApproval(r, r.subscription));
}

export function toApproval(
  r: {
    id: number;
    kind: 'image' | 'endorser';
    identifier: string | null;
    sha256: string | null;
    approved_by: string;
    approved_at: string;
  },
  subscription: string,
): Approval {
  return {
    id: r.id,
    subscription,
    kind: r.kind,
    identifier: r.identifier ?? undefined,
    sha256: r.sha256 ?? undefined,
    approvedBy: r.approved_by,
    approvedAt: r.approved_at,
  };
}

/** What `approve` answers: the approver's own approval and where the quorum stands. */
export type ApprovalGrant = Approval & {
  /** The approval-quorum in force. */
  quorum: number;
  /** Distinct people holding an active approval of the same thing, this one included. */
  approvers: string[];
  /** How many more distinct approvers it needs before it counts (0: it counts). */
  stillNeeded: number;
  /** This person had already approved it: nothing new was recorded. */
  alreadyApproved: boolean;
};

export function grantOf(
  approval: Approval,
  quorum: number,
  approvers: string[],
  alreadyApproved: boolean,
): ApprovalGrant {
  return {
    ...approval,
    quorum,
    approvers,
    stillNeeded: Math.max(0, quorum - approvers.length),
    alreadyApproved,
  };
}
