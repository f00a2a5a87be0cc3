import { VmicError, isVmicError } from '../../errors/index.ts';
import { refreshApprovalFeedAfterChange } from './approval-feed.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { readPolicy, type SitePolicy } from './policy.ts';
import { loadTrustMaterial, type TrustMaterial } from './trust-store.ts';
import { httpFeedFetcher, type FeedFetcher } from './feed-fetcher.ts';
import { acquireRunLock } from './run-lock.ts';
import { catalogLapse } from './freshness.ts';
import type { ImportOutcome, SubscriptionRow } from './import-types.ts';
import { notModified, pinIssuerOnFirstUse } from './import-state.ts';
import { verifiedCatalog, verifiedList } from './import-feed.ts';
import { checkProvenance } from './provenance-check.ts';
import { observe } from '../observe.ts';
import { refreshSignerCheck } from './signer-checks.ts';
import { checkImportLogged } from './import-log.ts';
import { VIEW_MOVED } from '../log/log-views.ts';
import { importAdvice } from './import-advice.ts';

export type { ImportOutcome } from './import-types.ts';

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
  const lock = await acquireRunLock(inst.store.db, 'import', { now: inst.now });
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
        'log_policy',
        'log_key',
        'log_witnesses',
        'log_witness_quorum',
        'expect_signers',
        'expect_subjects',
        'verify_provenance',
      ]);
    if (opts.subscription !== undefined) q = q.where('name', '=', opts.subscription);
    const subs = await q.orderBy('name').execute();
    if (opts.subscription !== undefined && subs.length === 0)
      throw new VmicError('NOT_FOUND', `no subscription named ${opts.subscription}`);
    const outcomes: ImportOutcome[] = [];
    for (const sub of subs) {
      // Lost to another host (this one paused past the lease): stop before applying more.
      lock.assertHeld();
      if (sub.enabled !== 1) {
        if (opts.subscription !== undefined)
          throw new VmicError('CONFLICT', `subscription ${sub.name} is disabled; enable it first`);
        continue;
      }
      const outcome = await importOne(inst, sub, {
        time,
        policy,
        trust,
        fetcher: opts.fetcher ?? httpFeedFetcher,
        actor: opts.actor,
      });
      observe(inst, {
        type: 'import',
        subscription: sub.name,
        result: outcome.code ?? outcome.status,
        rule: outcome.rule,
        message: outcome.message,
      });
      outcomes.push(outcome);
    }
    await refreshApprovalFeedAfterChange(inst);
    return outcomes;
  } finally {
    await lock.release();
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
  attempt = 0,
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
    // Step 9b (--verify-provenance): adopted images' upstream catalogs, checked here too.
    if (sub.verify_provenance === 1 && verified.document && !verified.unchanged)
      await checkProvenance(verified.document, ctx);
    // Step 10: the catalog is in its endorser's transparency log, as every other site sees it.
    const logged = verified.unchanged
      ? undefined
      : await checkImportLogged(inst, sub, res.body, verified.sequence!, {
          time: ctx.time,
          timeoutMs: ctx.policy.feedTimeoutMs,
        });
    // Step 11: apply atomically, with the issuer pin learned on first use.
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
      await logged?.apply(tx);
      const log = logged?.report ? { log: logged.report } : {};
      // The gate's kept signer check of the new catalog, made now rather than by the first
      // deployment question (signer-checks.ts).
      await refreshSignerCheck(tx, sub.id, inst.now());
      await tx.updateTable('subscriptions').set(done).where('id', '=', sub.id).execute();
      await appendAudit(tx, {
        at: inst.now(),
        actor: ctx.actor,
        action: 'import.applied',
        subject: sub.name,
        details: { sequence, ...label, ...verified.details, ...counts, ...log },
      });
      return {
        subscription: sub.name,
        status: 'applied' as const,
        sequence,
        counts,
        ...label,
        ...pinned,
        ...log,
      };
    });
  } catch (e) {
    if (!isVmicError(e)) throw e;
    // A witness request grew this instance's view of the log between the check and the
    // apply: checked once more against the new view (nothing was applied).
    if (e.rule === VIEW_MOVED && attempt === 0) return importOne(inst, sub, ctx, 1);
    const advice = importAdvice(e, sub.name);
    const message = advice ? `${e.message}; ${advice}` : e.message;
    await writeTransaction(inst.store, async (tx) => {
      await tx
        .updateTable('subscriptions')
        .set({
          last_checked_at: ctx.time.toISOString(),
          last_error_code: e.code,
          last_error_message: message.slice(0, 1000),
          last_error_at: ctx.time.toISOString(),
        })
        .where('id', '=', sub.id)
        .execute();
      await appendAudit(tx, {
        at: inst.now(),
        actor: ctx.actor,
        action: 'import.failed',
        subject: sub.name,
        details: { code: e.code, rule: e.rule ?? null, message: message.slice(0, 1000) },
      });
    });
    return {
      subscription: sub.name,
      status: 'failed',
      code: e.code,
      ...(e.rule ? { rule: e.rule } : {}),
      message,
    };
  }
}
