import { VmicError, isVmicError } from '../../pki/errors.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { readPolicy, type SitePolicy } from './policy.ts';
import { loadTrustMaterial, type TrustMaterial } from './trust-store.ts';
import { httpFeedFetcher, type FeedFetcher } from './feed-fetcher.ts';
import { verifyCatalog } from './verify-catalog.ts';
import { applyCatalog, type ApplyCounts } from './apply-catalog.ts';
import { verifyImageList } from './verify-hepix.ts';
import { applyImageList } from './apply-hepix.ts';
import type { Tx } from '../store/write-transaction.ts';
import { acquireRunLock } from './run-lock.ts';
import { catalogLapse, type HeldCatalog } from './freshness.ts';
import { issuerOf, type IssuerIdentity } from '../verify/index.ts';

export interface ImportOutcome {
  subscription: string;
  status: 'applied' | 'unchanged' | 'not-modified' | 'failed';
  sequence?: number;
  counts?: ApplyCounts;
  /** HEPiX subscriptions: the list's `hv:version` (`sequence` is the site's own ordinal). */
  listVersion?: string;
  /** `not-modified`: when a catalog of this feed was last verified (the 304 verifies nothing). */
  lastVerifiedAt?: string;
  /** The issuing CA this import pinned, on the subscription's first verified import. */
  issuerPinned?: { subject: string; key: string };
  code?: string;
  rule?: string;
  message?: string;
}

type SubscriptionRow = {
  id: number;
  name: string;
  url: string;
  format: 'rdf' | 'hepix';
  expect_subject: string;
  expect_issuer: string | null;
  etag: string | null;
  last_success_at: string | null;
  pinned_issuer: string | null;
  pinned_issuer_key: string | null;
};

/**
 * The import cron job (docs/design.md §6): one run, one reference time, every enabled
 * subscription (or the one named). A subscription's state changes only through one
 * transaction after every check passed; a failure records only the audit entry and the
 * subscription's last error.
 */
export async function runImport(
  inst: Instance,
  opts: { subscription?: string | undefined; actor: string; fetcher?: FeedFetcher },
): Promise<ImportOutcome[]> {
  const lock = acquireRunLock(inst.config.dataDir, 'import');
  try {
    // Fixed once: every check of this run uses the same time (tuf-js: "fixed update start time").
    const time = inst.now();
    const policy = await readPolicy(inst.store.db);
    const trust = await loadTrustMaterial(inst.store.db);
    let q = inst.store.db
      .selectFrom('subscriptions')
      .select([
        'id',
        'name',
        'url',
        'format',
        'expect_subject',
        'expect_issuer',
        'etag',
        'enabled',
        'last_success_at',
        'pinned_issuer',
        'pinned_issuer_key',
      ]);
    if (opts.subscription !== undefined) q = q.where('name', '=', opts.subscription);
    const subs = await q.orderBy('name').execute();
    if (opts.subscription !== undefined && subs.length === 0)
      throw new VmicError('NOT_FOUND', `no subscription named ${opts.subscription}`);
    const outcomes: ImportOutcome[] = [];
    for (const sub of subs) {
      if (sub.enabled !== 1) {
        if (opts.subscription !== undefined)
          throw new VmicError('CONFLICT', `subscription ${sub.name} is disabled; enable it first`);
        continue;
      }
      outcomes.push(
        await importOne(inst, sub, {
          time,
          policy,
          trust,
          fetcher: opts.fetcher ?? httpFeedFetcher,
          actor: opts.actor,
        }),
      );
    }
    return outcomes;
  } finally {
    lock.release();
  }
}

async function importOne(
  inst: Instance,
  sub: SubscriptionRow,
  ctx: {
    time: Date;
    policy: SitePolicy;
    trust: TrustMaterial;
    fetcher: FeedFetcher;
    actor: string;
  },
): Promise<ImportOutcome> {
  const previous = await inst.store.db
    .selectFrom('site_catalogs')
    .select([
      'sequence',
      'content_sha256',
      'list_version',
      'list_identifier',
      'issued_at',
      'expires_at',
      'format',
    ])
    .where('subscription_id', '=', sub.id)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
  // Whether the catalog held is past its expiry or the site's max-catalog-age now.
  const lapse = previous
    ? catalogLapse(previous, ctx.time, ctx.policy.maxCatalogAgeSeconds)
    : undefined;
  try {
    // Step 1: fetch. The ETag is sent only while a verified catalog is held and still
    // within its limits, so that a first import, and one whose held catalog has lapsed,
    // reads the whole feed (threat: a 304 standing in for a catalog too old to use).
    const res = await ctx.fetcher.fetch(sub.url, {
      etag: previous && !lapse ? (sub.etag ?? undefined) : undefined,
      maxBytes: ctx.policy.feedMaxBytes,
      timeoutMs: ctx.policy.feedTimeoutMs,
    });
    if (res.status === 'not-modified') return await notModified(inst, sub, previous, lapse, ctx);
    // Steps 2–9, by the subscription's format.
    const verified =
      sub.format === 'hepix'
        ? await verifiedList(res.body, sub, ctx, previous)
        : await verifiedCatalog(res.body, sub, ctx, previous);
    // Step 10: apply atomically, with the issuer pin learned on first use.
    return await writeTransaction(inst.store, async (tx) => {
      // The subscription may have been removed while its feed was fetched and verified
      // (nothing holds `subscription remove` off meanwhile): applying would insert rows
      // for a subscription that is gone, a FOREIGN KEY failure answered 500 (found by the
      // fuzz test). A refusal instead, in the same transaction as the apply.
      const current = await tx
        .selectFrom('subscriptions')
        .select('id')
        .where('id', '=', sub.id)
        .executeTakeFirst();
      if (!current)
        throw new VmicError('CONFLICT', `subscription ${sub.name} was removed during the import`);
      const issuerPinned = await pinIssuerOnFirstUse(tx, inst, sub, verified.issuer, ctx);
      const pinned = issuerPinned ? { issuerPinned } : {};
      const done = {
        last_checked_at: ctx.time.toISOString(),
        last_success_at: ctx.time.toISOString(),
        last_error_code: null,
        last_error_message: null,
        last_error_at: null,
        etag: res.etag ?? null,
      };
      const label = verified.listVersion === undefined ? {} : { listVersion: verified.listVersion };
      if (verified.unchanged) {
        await tx.updateTable('subscriptions').set(done).where('id', '=', sub.id).execute();
        return {
          subscription: sub.name,
          status: 'unchanged' as const,
          sequence: verified.sequence ?? previous!.sequence,
          ...label,
          ...pinned,
        };
      }
      const { counts, sequence } = await verified.apply(tx);
      await tx.updateTable('subscriptions').set(done).where('id', '=', sub.id).execute();
      await appendAudit(
        tx,
        {
          actor: ctx.actor,
          action: 'import.applied',
          subject: sub.name,
          details: { sequence, ...label, ...verified.details, ...counts },
        },
        inst.now(),
      );
      return {
        subscription: sub.name,
        status: 'applied' as const,
        sequence,
        counts,
        ...label,
        ...pinned,
      };
    });
  } catch (e) {
    if (!isVmicError(e)) throw e;
    await writeTransaction(inst.store, async (tx) => {
      await tx
        .updateTable('subscriptions')
        .set({
          last_checked_at: ctx.time.toISOString(),
          last_error_code: e.code,
          last_error_message: e.message.slice(0, 1000),
          last_error_at: ctx.time.toISOString(),
        })
        .where('id', '=', sub.id)
        .execute();
      await appendAudit(
        tx,
        {
          actor: ctx.actor,
          action: 'import.failed',
          subject: sub.name,
          details: { code: e.code, rule: e.rule ?? null, message: e.message.slice(0, 1000) },
        },
        inst.now(),
      );
    });
    return {
      subscription: sub.name,
      status: 'failed',
      code: e.code,
      ...(e.rule ? { rule: e.rule } : {}),
      message: e.message,
    };
  }
}

/**
 * A `304 Not Modified` is recorded as "unchanged, last verified at T": it verifies
 * nothing, so it stands for the held catalog only while that catalog is within its own
 * expiry and the site's max-catalog-age. Past them, or with nothing held, it is a refusal
 * with the limit named (the gate refuses those images on its own as well).
 */
async function notModified(
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
async function pinIssuerOnFirstUse(
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
  await appendAudit(
    tx,
    {
      actor: ctx.actor,
      action: 'subscription.issuer-pinned',
      subject: sub.name,
      details: { issuer: issuer.subject, key: issuer.keyId },
    },
    inst.now(),
  );
  return { subject: issuer.subject, key: issuer.keyId };
}

interface VerifiedFeed {
  unchanged: boolean;
  /** The CA that issued the signer, from the validated chain. */
  issuer: IssuerIdentity;
  /** The signed sequence (RDF); undefined for HEPiX, whose ordinal is assigned on apply. */
  sequence: number | undefined;
  listVersion: string | undefined;
  details: Record<string, unknown>;
  apply(tx: Tx): Promise<{ counts: ApplyCounts; sequence: number }>;
}

type ImportContext = { time: Date; policy: SitePolicy; trust: TrustMaterial };

/** The subject pinned at subscribe time; the issuer typed then, or learned on first use. */
function pinOf(sub: SubscriptionRow) {
  return {
    subject: sub.expect_subject,
    issuer: sub.expect_issuer ?? sub.pinned_issuer ?? undefined,
    issuerKeyId: sub.pinned_issuer_key ?? undefined,
  };
}
type PreviousRow = HeldCatalog & {
  content_sha256: string;
  list_version: string | null;
  list_identifier: string | null;
};

async function verifiedCatalog(
  body: Buffer,
  sub: SubscriptionRow,
  ctx: ImportContext,
  previous: PreviousRow | undefined,
): Promise<VerifiedFeed> {
  const verified = await verifyCatalog({
    bytes: body,
    trust: ctx.trust,
    revocation: ctx.policy.revocation,
    pin: pinOf(sub),
    time: ctx.time,
    previous: previous
      ? { sequence: previous.sequence, contentSha256: previous.content_sha256 }
      : undefined,
    maxCatalogAgeSeconds: ctx.policy.maxCatalogAgeSeconds,
  });
  return {
    unchanged: verified.unchanged,
    issuer: issuerOf(verified.chain),
    sequence: verified.document.sequence,
    listVersion: undefined,
    details: {
      contentSha256: verified.contentSha256,
      signer: verified.signer.subject,
      expires: verified.document.expires.toISOString(),
    },
    apply: async (tx) => ({
      counts: await applyCatalog(tx, sub.id, verified, body, ctx.time),
      sequence: verified.document.sequence,
    }),
  };
}

async function verifiedList(
  body: Buffer,
  sub: SubscriptionRow,
  ctx: ImportContext,
  previous: PreviousRow | undefined,
): Promise<VerifiedFeed> {
  const verified = await verifyImageList({
    bytes: body,
    trust: ctx.trust,
    revocation: ctx.policy.revocation,
    pin: pinOf(sub),
    time: ctx.time,
    previous:
      previous?.list_version != null && previous.list_identifier !== null
        ? {
            version: previous.list_version,
            identifier: previous.list_identifier,
            contentSha256: previous.content_sha256,
          }
        : undefined,
    maxCatalogAgeSeconds: ctx.policy.maxCatalogAgeSeconds,
  });
  return {
    unchanged: verified.unchanged,
    issuer: issuerOf(verified.chain),
    sequence: undefined,
    listVersion: verified.list.version,
    details: {
      listIdentifier: verified.list.identifier,
      contentSha256: verified.contentSha256,
      signer: verified.signer.subject,
      expires: verified.list.expires.toISOString(),
    },
    apply: async (tx) => {
      const { sequence, ...counts } = await applyImageList(tx, sub.id, verified, body, ctx.time);
      return { counts, sequence };
    },
  };
}
