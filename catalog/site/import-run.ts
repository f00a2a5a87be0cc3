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

export interface ImportOutcome {
  subscription: string;
  status: 'applied' | 'unchanged' | 'not-modified' | 'failed';
  sequence?: number;
  counts?: ApplyCounts;
  /** HEPiX subscriptions: the list's `hv:version` (`sequence` is the site's own ordinal). */
  listVersion?: string;
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
};

/**
 * The import cron job (DESIGN.md §6): one run, one reference time, every enabled
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
    .select(['sequence', 'content_sha256', 'list_version', 'list_identifier'])
    .where('subscription_id', '=', sub.id)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
  try {
    // Step 1: fetch. The ETag is sent only once a verified catalog is held, so that a
    // first import always reads the whole feed.
    const res = await ctx.fetcher.fetch(sub.url, {
      etag: previous ? (sub.etag ?? undefined) : undefined,
      maxBytes: ctx.policy.feedMaxBytes,
      timeoutMs: ctx.policy.feedTimeoutMs,
    });
    if (res.status === 'not-modified') {
      await inst.store.db
        .updateTable('subscriptions')
        .set({ last_checked_at: ctx.time.toISOString() })
        .where('id', '=', sub.id)
        .execute();
      return {
        subscription: sub.name,
        status: 'not-modified',
        ...(previous ? { sequence: previous.sequence } : {}),
      };
    }
    // Steps 2–9, by the subscription's format.
    const verified =
      sub.format === 'hepix'
        ? await verifiedList(res.body, sub, ctx, previous)
        : await verifiedCatalog(res.body, sub, ctx, previous);
    // Step 10: apply atomically.
    return await writeTransaction(inst.store, async (tx) => {
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

interface VerifiedFeed {
  unchanged: boolean;
  /** The signed sequence (RDF); undefined for HEPiX, whose ordinal is assigned on apply. */
  sequence: number | undefined;
  listVersion: string | undefined;
  details: Record<string, unknown>;
  apply(tx: Tx): Promise<{ counts: ApplyCounts; sequence: number }>;
}

type ImportContext = { time: Date; policy: SitePolicy; trust: TrustMaterial };
type PreviousRow = {
  sequence: number;
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
    pin: { subject: sub.expect_subject, issuer: sub.expect_issuer ?? undefined },
    time: ctx.time,
    previous: previous
      ? { sequence: previous.sequence, contentSha256: previous.content_sha256 }
      : undefined,
    maxCatalogAgeSeconds: ctx.policy.maxCatalogAgeSeconds,
  });
  return {
    unchanged: verified.unchanged,
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
    pin: { subject: sub.expect_subject, issuer: sub.expect_issuer ?? undefined },
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
