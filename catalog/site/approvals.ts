import { VmicError } from '../../errors/index.ts';
import { writeThenRefreshFeed } from './approval-feed.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Tx } from '../store/write-transaction.ts';
import type { Queryable } from '../store/database.ts';
import { findOneSiteImage, findSiteImages, parseImageRef } from './site-images.ts';
import { getSubscription } from './subscriptions.ts';
import { approvingRow } from './approval-rule.ts';

export interface Approval {
  id: number;
  subscription: string;
  kind: 'image' | 'endorser';
  identifier: string | undefined;
  sha256: string | undefined;
  approvedBy: string;
  approvedAt: string;
}

/**
 * Approves one image version: the approval binds to its SHA-256, so a republished
 * identifier with other bytes needs approving again (threat: an endorser, or anyone who
 * stole its key, swapping bytes under an approved name).
 */
export async function approveImage(
  inst: Instance,
  input: { image: string; subscription?: string | undefined; actor: string },
): Promise<Approval> {
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
    const existing = await active(tx, img.subscription_id)
      .where('kind', '=', 'image')
      .where('sha256', '=', img.sha256)
      .executeTakeFirst();
    if (existing) return toApproval(existing, img.subscription);
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
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'approval.image.granted',
      subject: `${img.subscription}/${img.identifier}`,
      details: { sha256: img.sha256 },
    });
    return toApproval(row, img.subscription);
  });
}

/** Approves everything a subscription's endorser currently endorses, now and in later catalogs. */
export async function approveEndorser(
  inst: Instance,
  input: { subscription: string; actor: string },
): Promise<Approval> {
  return writeThenRefreshFeed(inst, async (tx) => {
    const sub = await getSubscription(tx, input.subscription);
    const existing = await active(tx, sub.id).where('kind', '=', 'endorser').executeTakeFirst();
    if (existing) return toApproval(existing, sub.name);
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
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'approval.endorser.granted',
      subject: sub.name,
      details: { expectSubject: sub.expectSubject },
    });
    return toApproval(row, sub.name);
  });
}

/** What an image unapproval did, and what still approves those bytes. */
export interface UnapproveResult {
  revoked: number;
  /** The SHA-256 the reference resolved to ('' for a HEPiX image not yet fetched). */
  sha256: string;
  /** Subscriptions whose endorser approval still approves these bytes. */
  endorserApproved: string[];
}

/**
 * Withdraws approval of an image by the same reference the gate decides on, so that
 * "unapprove" can never leave the image it names approved by an image approval (threat:
 * an approval granted under one identifier still covering the same bytes listed under
 * another, as the gate matches approvals by SHA-256). An identifier resolves, in its one
 * subscription, to its current SHA-256; `sha256:HEX` names the bytes in every
 * subscription (or the one given). Every active image approval of those bytes is revoked,
 * and for an identifier also those of its earlier versions (so that the endorser
 * re-listing older bytes under it does not revive them). An endorser approval is not
 * touched; the result names it so that the caller can say so.
 */
export async function unapproveImage(
  inst: Instance,
  input: { image: string; subscription?: string | undefined; actor: string },
): Promise<UnapproveResult> {
  return writeThenRefreshFeed(inst, async (tx) => {
    const ref = parseImageRef(input.image);
    let sha256: string;
    let subject: string;
    let query = tx
      .selectFrom('approvals')
      .innerJoin('subscriptions', 'subscriptions.id', 'approvals.subscription_id')
      .select(['approvals.id', 'approvals.subscription_id'])
      .where('approvals.revoked_at', 'is', null)
      .where('approvals.kind', '=', 'image');
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
        details: { approvals: targets.length, sha256 },
      });
    const endorserApproved: string[] = [];
    for (const id of new Set([...subscriptionIds, ...targets.map((t) => t.subscription_id)])) {
      const still = await approvalFor(tx, id, sha256);
      if (still) endorserApproved.push(still.subscription);
    }
    return { revoked: targets.length, sha256, endorserApproved: endorserApproved.sort() };
  });
}

export async function unapproveEndorser(
  inst: Instance,
  input: { subscription: string; actor: string },
): Promise<number> {
  return writeThenRefreshFeed(inst, async (tx) => {
    const sub = await getSubscription(tx, input.subscription);
    const n = await revoke(
      tx,
      inst,
      input.actor,
      active(tx, sub.id).where('kind', '=', 'endorser'),
    );
    if (n > 0)
      await appendAudit(tx, {
        at: inst.now(),
        actor: input.actor,
        action: 'approval.endorser.revoked',
        subject: sub.name,
      });
    return n;
  });
}

function active(db: Queryable, subscriptionId: number) {
  return db
    .selectFrom('approvals')
    .selectAll()
    .where('subscription_id', '=', subscriptionId)
    .where('revoked_at', 'is', null);
}

async function revoke(
  tx: Tx,
  inst: Instance,
  actor: string,
  query: ReturnType<typeof active>,
): Promise<number> {
  const rows = await query.execute();
  for (const r of rows)
    await tx
      .updateTable('approvals')
      .set({ revoked_by: actor, revoked_at: inst.now().toISOString() })
      .where('id', '=', r.id)
      .execute();
  return rows.length;
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
  const hit = approvingRow(rows, sha256);
  return hit ? toApproval(hit, sub.name) : undefined;
}

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

function toApproval(
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
