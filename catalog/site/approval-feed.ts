import { createHash } from 'node:crypto';
import { VmicError } from '../../errors/index.ts';
import { cmsSign } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { loadSiteKey } from '../migration/site-identity.ts';
import { observe } from '../observe.ts';
import type { Queryable } from '../store/database.ts';
import { writeTransaction, type Tx } from '../store/write-transaction.ts';
import { deployableImages, feedJson, feedText, imageLines } from './approval-feed-content.ts';
import { readPolicy } from './policy.ts';

/**
 * The signed approval feed for compute nodes (issue 16, docs/design.md §4): the latest
 * signed version lives in `instance_meta` under one key. One row suffices: only the latest
 * version is ever served, and the row is read and replaced under the write lock
 * (writeTransaction), so its `sequence` strictly increases across every signature, also
 * across replicas sharing the database (threat: two versions with one sequence, or an
 * older feed rolled back past a node's stored one). A table would add a migration for
 * nothing more.
 */
const META_KEY = 'approval-feed';

export interface StoredFeed {
  sequence: number;
  /** SHA-256 of the site and image lines and the lifetime: what "changed" means. */
  bodySha256: string;
  issuedAt: string;
  expiresAt: string;
  /** The CMS SignedData, DER, base64. */
  p7m: string;
  json: string;
}

export async function readApprovalFeed(db: Queryable): Promise<StoredFeed | undefined> {
  const row = await db
    .selectFrom('instance_meta')
    .select('value')
    .where('key', '=', META_KEY)
    .executeTakeFirst();
  return row ? (JSON.parse(row.value) as StoredFeed) : undefined;
}

export type RefreshResult =
  | { signed: false; reason: 'no-identity' | 'unchanged'; sequence?: number }
  | {
      signed: true;
      sequence: number;
    };

/**
 * Signs a new feed version when the deployable images changed, or when the current one has
 * passed half its lifetime (threat: compute nodes refusing every boot because a stale feed
 * expired, or a withdrawn image staying approved in a feed nobody re-signed). Without a
 * site identity there is nothing to sign with, and that is no error.
 */
export async function refreshApprovalFeed(inst: Instance): Promise<RefreshResult> {
  const hasIdentity = await inst.store.db
    .selectFrom('site_identity')
    .select('id')
    .where('id', '=', 1)
    .executeTakeFirst();
  if (!hasIdentity) return { signed: false, reason: 'no-identity' };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const result = await signIfDue(inst);
    if (result !== 'raced') {
      if (result.signed) observe(inst, { type: 'approval-feed', result: 'signed', ...result });
      return result;
    }
  }
  throw new VmicError(
    'CONFLICT',
    `the approval feed kept changing during ${MAX_ATTEMPTS} refreshes`,
  );
}

const MAX_ATTEMPTS = 5;

/**
 * One try: the deployable images are decided before the write lock is taken (the gate
 * reads through the store, not the transaction), so another refresh may have signed
 * between. Then this view may predate a change that the other one saw (threat: a timer's
 * stale view, still listing a just-unapproved image, signed with a higher sequence over
 * the change's own feed). 'raced' sends the caller to decide again.
 */
async function signIfDue(inst: Instance): Promise<RefreshResult | 'raced'> {
  const seen = (await readApprovalFeed(inst.store.db))?.sequence;
  const images = await deployableImages(inst);
  const site = inst.config.publicUrl;
  const { approvalFeedTtlSeconds: ttl } = await readPolicy(inst.store.db);
  // The lifetime counts as a change: a shortened one applies at once, not after the old expiry.
  const bodySha256 = createHash('sha256')
    .update(`site ${site}\nttl ${ttl}\n${imageLines(images)}`)
    .digest('hex');
  const key = await loadSiteKey(inst);
  return writeTransaction(inst.store, async (tx): Promise<RefreshResult | 'raced'> => {
    const now = inst.now();
    const current = await readApprovalFeed(tx);
    if (current?.sequence !== seen) return 'raced';
    if (current && current.bodySha256 === bodySha256) {
      const issued = Date.parse(current.issuedAt);
      const halfLife = (Date.parse(current.expiresAt) - issued) / 2;
      if (now.getTime() < issued + halfLife)
        return { signed: false, reason: 'unchanged', sequence: current.sequence };
    }
    const sequence = (current?.sequence ?? 0) + 1;
    const issuedAt = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const expiresAt = new Date(issuedAt.getTime() + ttl * 1000);
    const content = { site, sequence, issuedAt, expiresAt, images };
    const p7m = await cmsSign({
      content: new TextEncoder().encode(feedText(content)),
      detached: false,
      signer: { certificate: key.certificate, privateKey: key.signingKey },
      chain: key.chain,
      signingTime: issuedAt,
    });
    const stored: StoredFeed = {
      sequence,
      bodySha256,
      issuedAt: issuedAt.toISOString(),
      expiresAt: expiresAt.toISOString(),
      p7m: Buffer.from(p7m).toString('base64'),
      json: feedJson(content),
    };
    const value = JSON.stringify(stored);
    await tx
      .insertInto('instance_meta')
      .values({ key: META_KEY, value })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
      .execute();
    await appendAudit(tx, {
      at: now,
      actor: 'vmic',
      action: 'site.approval-feed.signed',
      subject: site,
      details: { sequence, images: images.length, expiresAt: stored.expiresAt },
    });
    return { signed: true, sequence };
  });
}

/**
 * `refreshApprovalFeed` after a change made elsewhere (import, fetch, approval, policy,
 * trust): a failure is reported, never thrown, so that the change itself still stands;
 * the serve timer retries well before the current feed expires.
 */
export async function refreshApprovalFeedAfterChange(inst: Instance): Promise<void> {
  try {
    await refreshApprovalFeed(inst);
  } catch (e) {
    observe(inst, {
      type: 'approval-feed',
      result: 'failed',
      message: e instanceof Error ? e.message : String(e),
    });
  }
}

/** The result of `change`, once it committed and the feed was refreshed after it. */
export async function thenRefreshFeed<T>(inst: Instance, change: Promise<T>): Promise<T> {
  const result = await change;
  await refreshApprovalFeedAfterChange(inst);
  return result;
}

/** `writeTransaction`, then the feed refreshed after the change committed. */
export function writeThenRefreshFeed<T>(inst: Instance, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return thenRefreshFeed(inst, writeTransaction(inst.store, fn));
}
