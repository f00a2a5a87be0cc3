import { VmicError } from '../../errors/index.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Tx } from '../store/write-transaction.ts';
import type { HeldCatalog } from './freshness.ts';
import type { IssuerIdentity } from '../verify/index.ts';
import type { ImportOutcome, SubscriptionRow } from './import-types.ts';

/**
 * A `304 Not Modified` is recorded as "unchanged, last verified at T": it verifies
 * nothing, so it stands for the held catalog only while that catalog is within its own
 * expiry and the site's max-catalog-age. Past them, or with nothing held, it is a refusal
 * with the limit named (the gate refuses those images on its own as well).
 */
export async function notModified(
  inst: Instance,
  sub: SubscriptionRow,
  previous: HeldCatalog | undefined,
  lapse: { rule: string; message: string } | undefined,
  ctx: { time: Date },
): Promise<ImportOutcome> {
  const at = ctx.time.toISOString();
  const checked = { last_checked_at: at, last_not_modified_at: at };
  if (!previous || lapse) {
    await inst.store.db
      .updateTable('subscriptions')
      .set(checked)
      .where('id', '=', sub.id)
      .execute();
    if (!previous)
      throw new VmicError(
        'FETCH_FAILED',
        'the feed answered 304 Not Modified, but this site holds no verified catalog from it',
        { rule: 'http.304' },
      );
    throw new VmicError(
      'CATALOG_EXPIRED',
      `the feed answered 304 Not Modified (unchanged since last verified at ${sub.last_success_at ?? 'never'}), but ${lapse!.message}`,
      { rule: lapse!.rule },
    );
  }
  await inst.store.db
    .updateTable('subscriptions')
    .set({ ...checked, last_error_code: null, last_error_message: null, last_error_at: null })
    .where('id', '=', sub.id)
    .execute();
  return {
    subscription: sub.name,
    status: 'not-modified',
    sequence: previous.sequence,
    ...(sub.last_success_at ? { lastVerifiedAt: sub.last_success_at } : {}),
  };
}

/**
 * Trust on first use of the issuing CA: the first verified import of a subscription
 * records its subject and key, inside the apply transaction, so that a later catalog
 * from another CA with the same subject DN is refused (catalog/verify/pins.ts, `pin.issuerKey`).
 */
export async function pinIssuerOnFirstUse(
  tx: Tx,
  inst: Instance,
  sub: SubscriptionRow,
  issuer: IssuerIdentity,
  ctx: { time: Date; actor: string },
): Promise<ImportOutcome['issuerPinned']> {
  if (sub.pinned_issuer_key !== null) return undefined;
  const r = await tx
    .updateTable('subscriptions')
    .set({
      pinned_issuer: issuer.subject,
      pinned_issuer_key: issuer.keyId,
      pinned_at: ctx.time.toISOString(),
    })
    .where('id', '=', sub.id)
    .where('pinned_issuer_key', 'is', null)
    .executeTakeFirst();
  if (r.numUpdatedRows !== 1n)
    throw new VmicError('CONFLICT', `the issuer pin of ${sub.name} changed during this import`);
  await appendAudit(tx, {
    at: inst.now(),
    actor: ctx.actor,
    action: 'subscription.issuer-pinned',
    subject: sub.name,
    details: { issuer: issuer.subject, key: issuer.keyId },
  });
  return { subject: issuer.subject, key: issuer.keyId };
}
