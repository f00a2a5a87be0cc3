import type { Selectable } from 'kysely';
import { VmicError } from '../../errors/index.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import type { Queryable } from '../store/database.ts';
import type { SubscriptionTable } from '../store/schema.ts';
import { ageSeconds } from './freshness.ts';
import { signerColumns } from './subscription-signers.ts';
import {
  feedOptions,
  requirementColumns,
  requirementsOf,
  type FeedFormat,
  type FeedInput,
  type Requirements,
  type RequirementsInput,
} from './subscription-options.ts';

export { catalogUrlOf, imageListUrlOf } from './feed-urls.ts';
import {
  logColumns,
  logOf,
  type SubscriptionLog,
  type SubscriptionLogInput,
} from './subscription-log.ts';
import { followLog } from '../log/log-views.ts';

export type { FeedFormat } from './subscription-options.ts';

export interface Subscription extends Requirements {
  id: number;
  name: string;
  /** The attached-signature catalog URL (or, for `hepix`, the image list URL) that imports fetch. */
  url: string;
  format: FeedFormat;
  expectSubject: string;
  expectIssuer: string | undefined;
  enabled: boolean;
  createdAt: string;
  lastCheckedAt: string | undefined;
  lastSuccessAt: string | undefined;
  lastError: { code: string; message: string; at: string } | undefined;
  /** When the feed last answered `304 Not Modified` (unchanged; nothing was verified then). */
  lastNotModifiedAt: string | undefined;
  /**
   * The issuing CA pinned on the first verified import (trust on first use): its subject
   * and `sha256:HEX` of its public key. Undefined until a catalog has been verified.
   */
  issuerPin: { subject: string; key: string; pinnedAt: string } | undefined;
  /** What imports ask of the endorser's transparency log (subscription-log.ts). */
  log: SubscriptionLog;
  /** Co-signed catalogs: K distinct signers among these pinned subjects. */
  signers?: { k: number; subjects: string[] };
  /** The latest verified catalog applied, if any. */
  catalog:
    | {
        sequence: number;
        issuedAt: string;
        expiresAt: string;
        /** When this site verified and applied it (`lastSuccessAt`: the last verification). */
        verifiedAt: string;
        /** Seconds since `issuedAt` at the time asked (what max-catalog-age counts). */
        ageSeconds?: number;
        signerSubject: string;
      }
    | undefined;
}

export async function subscribe(
  inst: Instance,
  input: SubscriptionLogInput &
    FeedInput &
    RequirementsInput & {
      /**
       * Co-signed catalogs: at least this many distinct signers among `expectSubject` and
       * `coSigners` must have signed (THRESHOLD_NOT_MET otherwise).
       */
      expectSigners?: number | undefined;
      coSigners?: readonly string[] | undefined;
      actor: string;
    },
): Promise<Subscription> {
  const { format, url, name, expectSubject, expectIssuer } = feedOptions(input);
  const requirements = requirementColumns(input);
  const log = logColumns(input, format, inst.now().toISOString());
  const signers = signerColumns(input, expectSubject, format);
  return writeTransaction(inst.store, async (tx) => {
    const clash = await tx
      .selectFrom('subscriptions')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirst();
    if (clash) throw new VmicError('CONFLICT', `a subscription named ${name} exists`);
    await tx
      .insertInto('subscriptions')
      .values({
        name,
        url,
        format,
        expect_subject: expectSubject,
        expect_issuer: expectIssuer,
        enabled: 1,
        etag: null,
        created_at: inst.now().toISOString(),
        last_checked_at: null,
        last_success_at: null,
        last_error_code: null,
        last_error_message: null,
        last_error_at: null,
        ...log,
        ...signers,
        ...requirements,
      })
      .execute();
    // A pinned log key is followed from now on: a second key for the same origin conflicts.
    if (log.log_key !== null) await followLog(tx, log.log_key, inst.now());
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'subscription.added',
      subject: name,
      details: {
        url,
        format,
        expectSubject,
        expectIssuer,
        log: log.log_policy,
        logKey: log.log_key,
        witnesses: log.log_witnesses === null ? [] : JSON.parse(log.log_witnesses),
        witnessQuorum: log.log_witness_quorum,
        ...requirementsOf(requirements),
        ...(signers.expect_signers !== null
          ? {
              expectSigners: signers.expect_signers,
              subjects: JSON.parse(signers.expect_subjects!),
            }
          : {}),
      },
    });
    return getSubscription(tx, name);
  });
}

export async function setSubscriptionEnabled(
  inst: Instance,
  name: string,
  enabled: boolean,
  actor: string,
): Promise<Subscription> {
  return writeTransaction(inst.store, async (tx) => {
    await getSubscription(tx, name);
    await tx
      .updateTable('subscriptions')
      .set({ enabled: enabled ? 1 : 0 })
      .where('name', '=', name)
      .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor,
      action: enabled ? 'subscription.enabled' : 'subscription.disabled',
      subject: name,
    });
    return getSubscription(tx, name);
  });
}

/**
 * Forgets the issuer pin learned on first use, so that the next verified import pins the
 * CA again: for an endorser whose CA re-keyed. An operator's decision, audited with the
 * pin it dropped; until the next import nothing is deployable that was not before.
 */
export async function forgetIssuerPin(
  inst: Instance,
  name: string,
  actor: string,
): Promise<Subscription> {
  return writeTransaction(inst.store, async (tx) => {
    const sub = await getSubscription(tx, name);
    await tx
      .updateTable('subscriptions')
      .set({ pinned_issuer: null, pinned_issuer_key: null, pinned_at: null })
      .where('id', '=', sub.id)
      .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor,
      action: 'subscription.issuer-unpinned',
      subject: name,
      details: { issuer: sub.issuerPin?.subject ?? null, key: sub.issuerPin?.key ?? null },
    });
    return getSubscription(tx, name);
  });
}

/** Removes a subscription with its imported images, catalogs and approvals (cached bytes stay). */
export async function removeSubscription(
  inst: Instance,
  name: string,
  actor: string,
): Promise<void> {
  await writeTransaction(inst.store, async (tx) => {
    const sub = await getSubscription(tx, name);
    await tx.deleteFrom('subscriptions').where('id', '=', sub.id).execute();
    // Forks found stay evidence about the log, but no longer name this subscription: a new
    // one of the same name must not show them as its own.
    await tx
      .updateTable('log_evidence')
      .set({ subscription: null })
      .where('subscription', '=', name)
      .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor,
      action: 'subscription.removed',
      subject: name,
      details: { url: sub.url },
    });
  });
}

/** Every subscription; with `at`, each catalog's age at that time. */
export async function listSubscriptions(db: Queryable, at?: Date): Promise<Subscription[]> {
  const rows = await db.selectFrom('subscriptions').selectAll().orderBy('name').execute();
  return Promise.all(rows.map((r) => withCatalog(db, r, at)));
}

export async function getSubscription(
  db: Queryable,
  name: string,
  at?: Date,
): Promise<Subscription> {
  const row = await db
    .selectFrom('subscriptions')
    .selectAll()
    .where('name', '=', name)
    .executeTakeFirst();
  if (!row) throw new VmicError('NOT_FOUND', `no subscription named ${name}`);
  return withCatalog(db, row, at);
}

async function withCatalog(
  db: Queryable,
  r: Selectable<SubscriptionTable>,
  at: Date | undefined,
): Promise<Subscription> {
  const latest = await db
    .selectFrom('site_catalogs')
    .select(['sequence', 'issued_at', 'expires_at', 'verified_at', 'signer_subject'])
    .where('subscription_id', '=', r.id)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
  return {
    id: r.id,
    name: r.name,
    url: r.url,
    format: r.format,
    expectSubject: r.expect_subject,
    expectIssuer: r.expect_issuer ?? undefined,
    enabled: r.enabled === 1,
    createdAt: r.created_at,
    lastCheckedAt: r.last_checked_at ?? undefined,
    lastSuccessAt: r.last_success_at ?? undefined,
    lastError: r.last_error_code
      ? { code: r.last_error_code, message: r.last_error_message ?? '', at: r.last_error_at ?? '' }
      : undefined,
    lastNotModifiedAt: r.last_not_modified_at ?? undefined,
    issuerPin:
      r.pinned_issuer !== null && r.pinned_issuer_key !== null
        ? { subject: r.pinned_issuer, key: r.pinned_issuer_key, pinnedAt: r.pinned_at ?? '' }
        : undefined,
    log: logOf(r),
    ...requirementsOf(r),
    ...(r.expect_signers !== null && r.expect_subjects !== null
      ? { signers: { k: r.expect_signers, subjects: JSON.parse(r.expect_subjects) as string[] } }
      : {}),
    catalog: latest
      ? {
          sequence: latest.sequence,
          issuedAt: latest.issued_at,
          expiresAt: latest.expires_at,
          verifiedAt: latest.verified_at,
          ...(at ? { ageSeconds: ageSeconds(latest.issued_at, at) } : {}),
          signerSubject: latest.signer_subject,
        }
      : undefined,
  };
}
