import { VmicError } from '../../pki/errors.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction, type Tx } from '../store/write-transaction.ts';
import type { Queryable } from '../store/database.ts';
import { findOneSiteImage } from './site-images.ts';
import { getSubscription } from './subscriptions.ts';

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
  return writeTransaction(inst.store, async (tx) => {
    const img = await findOneSiteImage(tx, input.image, input.subscription);
    if (img.status !== 'endorsed')
      throw new VmicError(
        'CONFLICT',
        `${img.identifier} is withdrawn by its endorser; it cannot be approved`,
      );
    // A HEPiX image signed by SHA-512 only has no SHA-256 to bind to before it is fetched
    // (catalog/site/apply-hepix.ts); an approval of '' would cover any such image.
    if (img.sha256 === '')
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
    await appendAudit(
      tx,
      {
        actor: input.actor,
        action: 'approval.image.granted',
        subject: `${img.subscription}/${img.identifier}`,
        details: { sha256: img.sha256 },
      },
      inst.now(),
    );
    return toApproval(row, img.subscription);
  });
}

/** Approves everything a subscription's endorser currently endorses, now and in later catalogs. */
export async function approveEndorser(
  inst: Instance,
  input: { subscription: string; actor: string },
): Promise<Approval> {
  return writeTransaction(inst.store, async (tx) => {
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
    await appendAudit(
      tx,
      {
        actor: input.actor,
        action: 'approval.endorser.granted',
        subject: sub.name,
        details: { expectSubject: sub.expectSubject },
      },
      inst.now(),
    );
    return toApproval(row, sub.name);
  });
}

export async function unapproveImage(
  inst: Instance,
  input: { image: string; subscription?: string | undefined; actor: string },
): Promise<number> {
  return writeTransaction(inst.store, async (tx) => {
    const img = await findOneSiteImage(tx, input.image, input.subscription);
    const n = await revoke(
      tx,
      inst,
      input.actor,
      active(tx, img.subscription_id)
        .where('kind', '=', 'image')
        .where('identifier', '=', img.identifier),
    );
    if (n > 0)
      await appendAudit(
        tx,
        {
          actor: input.actor,
          action: 'approval.image.revoked',
          subject: `${img.subscription}/${img.identifier}`,
          details: { approvals: n },
        },
        inst.now(),
      );
    return n;
  });
}

export async function unapproveEndorser(
  inst: Instance,
  input: { subscription: string; actor: string },
): Promise<number> {
  return writeTransaction(inst.store, async (tx) => {
    const sub = await getSubscription(tx, input.subscription);
    const n = await revoke(
      tx,
      inst,
      input.actor,
      active(tx, sub.id).where('kind', '=', 'endorser'),
    );
    if (n > 0)
      await appendAudit(
        tx,
        { actor: input.actor, action: 'approval.endorser.revoked', subject: sub.name },
        inst.now(),
      );
    return n;
  });
}

function active(db: Queryable | Tx, subscriptionId: number) {
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
  for (const r of rows) {
    await tx
      .updateTable('approvals')
      .set({ revoked_by: actor, revoked_at: inst.now().toISOString() })
      .where('id', '=', r.id)
      .execute();
  }
  return rows.length;
}

/** The approval that makes this image version approved, if any (image-level first). */
export async function approvalFor(
  db: Queryable | Tx,
  subscriptionId: number,
  sha256: string,
): Promise<Approval | undefined> {
  const rows = await active(db, subscriptionId).execute();
  const sub = await db
    .selectFrom('subscriptions')
    .select('name')
    .where('id', '=', subscriptionId)
    .executeTakeFirstOrThrow();
  const hit =
    rows.find((r) => r.kind === 'image' && sha256 !== '' && r.sha256 === sha256) ??
    rows.find((r) => r.kind === 'endorser');
  return hit ? toApproval(hit, sub.name) : undefined;
}

export async function listApprovals(db: Queryable | Tx): Promise<Approval[]> {
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
