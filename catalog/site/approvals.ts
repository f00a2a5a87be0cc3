import { VmicError } from '../../errors/index.ts';
import { writeThenRefreshFeed } from './approval-feed.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { findOneSiteImage } from './site-images.ts';
import { getSubscription } from './subscriptions.ts';
import {
  active,
  approvalQuorumOf,
  grantOf,
  toApproval,
  type ApprovalGrant,
} from './approval-rows.ts';

export { approvalFor, listApprovals, type Approval, type ApprovalGrant } from './approval-rows.ts';
export { unapproveEndorser, unapproveImage, type UnapproveResult } from './unapprovals.ts';

/**
 * Approves one image version: the approval binds to its SHA-256, so a republished
 * identifier with other bytes needs approving again (threat: an endorser, or anyone who
 * stole its key, swapping bytes under an approved name).
 *
 * Under `approval-quorum` N above 1 each approver's approval is recorded (one row each,
 * audited), and the gate counts it once N distinct people approved the same SHA-256;
 * approving again as the same person records nothing (threat: one person meeting a
 * two-person rule alone). With N = 1, approving what anyone already approved returns
 * that approval, as before.
 */
export async function approveImage(
  inst: Instance,
  input: { image: string; subscription?: string | undefined; actor: string },
): Promise<ApprovalGrant> {
  return writeThenRefreshFeed(inst, async (tx) => {
    const img = await findOneSiteImage(tx, input.image, input.subscription);
    if (img.status !== 'endorsed')
      throw new VmicError(
        'CONFLICT',
        `${img.identifier} is withdrawn by its endorser; it cannot be approved`,
      );
    // A SHA-512-only HEPiX image has no SHA-256 (NULL) to bind to until it is fetched.
    if (img.sha256 === null)
      throw new VmicError(
        'NOT_FETCHED',
        `${img.identifier} is signed by SHA-512 only: fetch it first (the approval binds to the SHA-256 of the verified bytes), or approve its endorser`,
      );
    const quorum = await approvalQuorumOf(tx);
    const held = await active(tx, img.subscription_id)
      .where('kind', '=', 'image')
      .where('sha256', '=', img.sha256)
      .execute();
    const approvers = [...new Set(held.map((r) => r.approved_by))];
    const existing =
      held.find((r) => r.approved_by === input.actor) ?? (quorum === 1 ? held[0] : undefined);
    if (existing) return grantOf(toApproval(existing, img.subscription), quorum, approvers, true);
    const at = inst.now().toISOString();
    const row = await tx
      .insertInto('approvals')
      .values({
        subscription_id: img.subscription_id,
        kind: 'image',
        identifier: img.identifier,
        sha256: img.sha256,
        approved_by: input.actor,
        approved_at: at,
        revoked_by: null,
        revoked_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    approvers.push(input.actor);
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'approval.image.granted',
      subject: `${img.subscription}/${img.identifier}`,
      details: { sha256: img.sha256, ...quorumDetails(quorum, approvers) },
    });
    return grantOf(toApproval(row, img.subscription), quorum, approvers, false);
  });
}

/**
 * Approves everything a subscription's endorser currently endorses, now and in later
 * catalogs. Under `approval-quorum` N it counts, as an image approval does, once N distinct
 * people approved the endorser.
 */
export async function approveEndorser(
  inst: Instance,
  input: { subscription: string; actor: string },
): Promise<ApprovalGrant> {
  return writeThenRefreshFeed(inst, async (tx) => {
    const sub = await getSubscription(tx, input.subscription);
    const quorum = await approvalQuorumOf(tx);
    const held = await active(tx, sub.id).where('kind', '=', 'endorser').execute();
    const approvers = [...new Set(held.map((r) => r.approved_by))];
    const existing =
      held.find((r) => r.approved_by === input.actor) ?? (quorum === 1 ? held[0] : undefined);
    if (existing) return grantOf(toApproval(existing, sub.name), quorum, approvers, true);
    const row = await tx
      .insertInto('approvals')
      .values({
        subscription_id: sub.id,
        kind: 'endorser',
        identifier: null,
        sha256: null,
        approved_by: input.actor,
        approved_at: inst.now().toISOString(),
        revoked_by: null,
        revoked_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    approvers.push(input.actor);
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'approval.endorser.granted',
      subject: sub.name,
      details: { expectSubject: sub.expectSubject, ...quorumDetails(quorum, approvers) },
    });
    return grantOf(toApproval(row, sub.name), quorum, approvers, false);
  });
}

/** Under a quorum the audit entry says how far the approval got (nothing extra at 1). */
function quorumDetails(quorum: number, approvers: string[]) {
  return quorum > 1 ? { quorum, approvers: approvers.length } : {};
}
