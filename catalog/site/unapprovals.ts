import { VmicError } from '../../errors/index.ts';
import { writeThenRefreshFeed } from './approval-feed.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Tx } from '../store/write-transaction.ts';
import { findOneSiteImage, findSiteImages, parseImageRef } from './site-images.ts';
import { getSubscription } from './subscriptions.ts';
import { active, approvalFor, approvalQuorumOf } from './approval-rows.ts';

/** What an image unapproval did, and what still approves those bytes. */
export interface UnapproveResult {
  revoked: number;
  /** The SHA-256 the reference resolved to ('' for a HEPiX image not yet fetched). */
  sha256: string;
  /** Subscriptions whose endorser approval still approves these bytes. */
  endorserApproved: string[];
  /** Under an approval-quorum above 1: the quorum... */
  quorum?: number;
  /** ...and the people whose image approval of these bytes is still active. */
  approvers?: string[];
}

/**
 * Who an unapproval revokes. With `approval-quorum` 1 (the default) anyone with the role
 * revokes every approval, as before. Under a quorum above 1 each person withdraws their
 * own approval: the others' stay recorded, and the gate counts them again only when
 * enough people approve. `all` revokes everyone's (one person may always stop an image).
 */
async function byWhom(tx: Tx, actor: string, all: boolean | undefined): Promise<string | null> {
  return all || (await approvalQuorumOf(tx)) === 1 ? null : actor;
}

/**
 * Withdraws approval of an image by the same reference the gate decides on, so that
 * "unapprove" can never leave the image it names approved by an image approval (threat:
 * an approval granted under one identifier still covering the same bytes listed under
 * another, as the gate matches approvals by SHA-256). An identifier resolves, in its one
 * subscription, to its current SHA-256; `sha256:HEX` names the bytes in every
 * subscription (or the one given). Every active image approval of those bytes (under a
 * quorum, the caller's own: see `byWhom`) is revoked, and for an identifier also those of
 * its earlier versions (so that the endorser re-listing older bytes under it does not
 * revive them). An endorser approval is not touched; the result names it so that the
 * caller can say so.
 */
export async function unapproveImage(
  inst: Instance,
  input: { image: string; subscription?: string | undefined; actor: string; all?: boolean },
): Promise<UnapproveResult> {
  return writeThenRefreshFeed(inst, async (tx) => {
    const ref = parseImageRef(input.image);
    const only = await byWhom(tx, input.actor, input.all);
    let sha256: string;
    let subject: string;
    let query = tx
      .selectFrom('approvals')
      .innerJoin('subscriptions', 'subscriptions.id', 'approvals.subscription_id')
      .select(['approvals.id', 'approvals.subscription_id'])
      .where('approvals.revoked_at', 'is', null)
      .where('approvals.kind', '=', 'image');
    if (only !== null) query = query.where('approvals.approved_by', '=', only);
    let subscriptionIds: number[];
    if (ref.kind === 'identifier') {
      const img = await findOneSiteImage(tx, input.image, input.subscription);
      sha256 = img.sha256 ?? ''; // '' in the answer while not known, as before
      subject = `${img.subscription}/${img.identifier}`;
      subscriptionIds = [img.subscription_id];
      query = query
        .where('approvals.subscription_id', '=', img.subscription_id)
        .where((eb) =>
          eb.or([
            eb('approvals.identifier', '=', img.identifier),
            ...(img.sha256 === null ? [] : [eb('approvals.sha256', '=', img.sha256)]),
          ]),
        );
    } else {
      sha256 = ref.sha256;
      subject = input.image;
      const rows = await findSiteImages(tx, ref, input.subscription);
      query = query.where('approvals.sha256', '=', ref.sha256);
      if (input.subscription !== undefined) {
        const sub = await getSubscription(tx, input.subscription);
        query = query.where('approvals.subscription_id', '=', sub.id);
      }
      subscriptionIds = rows.map((r) => r.subscription_id);
    }
    const targets = await query.execute();
    if (ref.kind === 'sha256' && targets.length === 0 && subscriptionIds.length === 0)
      throw new VmicError(
        'NOT_FOUND',
        `no imported image ${input.image}${input.subscription ? ` in ${input.subscription}` : ''}`,
      );
    const at = inst.now().toISOString();
    for (const t of targets)
      await tx
        .updateTable('approvals')
        .set({ revoked_by: input.actor, revoked_at: at })
        .where('id', '=', t.id)
        .execute();
    if (targets.length > 0)
      await appendAudit(tx, {
        at: inst.now(),
        actor: input.actor,
        action: 'approval.image.revoked',
        subject,
        details: { approvals: targets.length, sha256, ...(only !== null ? { own: true } : {}) },
      });
    const endorserApproved: string[] = [];
    const approvers = new Set<string>();
    for (const id of new Set([...subscriptionIds, ...targets.map((t) => t.subscription_id)])) {
      const still = await approvalFor(tx, id, sha256);
      if (still?.kind === 'endorser') endorserApproved.push(still.subscription);
      if (sha256 === '') continue;
      const left = await active(tx, id)
        .where('kind', '=', 'image')
        .where('sha256', '=', sha256)
        .execute();
      for (const r of left) approvers.add(r.approved_by);
    }
    const quorum = await approvalQuorumOf(tx);
    return {
      revoked: targets.length,
      sha256,
      endorserApproved: endorserApproved.sort(),
      ...(quorum > 1 ? { quorum, approvers: [...approvers] } : {}),
    };
  });
}

/** Withdraws an endorser approval: everyone's, or under a quorum the caller's own (`byWhom`). */
export async function unapproveEndorser(
  inst: Instance,
  input: { subscription: string; actor: string; all?: boolean },
): Promise<number> {
  return writeThenRefreshFeed(inst, async (tx) => {
    const sub = await getSubscription(tx, input.subscription);
    const only = await byWhom(tx, input.actor, input.all);
    let query = active(tx, sub.id).where('kind', '=', 'endorser');
    if (only !== null) query = query.where('approved_by', '=', only);
    const rows = await query.execute();
    for (const r of rows)
      await tx
        .updateTable('approvals')
        .set({ revoked_by: input.actor, revoked_at: inst.now().toISOString() })
        .where('id', '=', r.id)
        .execute();
    if (rows.length > 0)
      await appendAudit(tx, {
        at: inst.now(),
        actor: input.actor,
        action: 'approval.endorser.revoked',
        subject: sub.name,
        ...(only !== null ? { details: { own: true } } : {}),
      });
    return rows.length;
  });
}
