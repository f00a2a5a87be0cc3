import { VmicError } from '../../../errors/index.ts';
import type { Instance } from '../../instance.ts';
import { activeApprovals, approvingRow } from '../approval-rule.ts';
import type { ImageCache } from '../image-cache.ts';
import type { SitePolicy } from '../policy.ts';
import { learnSha256 } from './record.ts';
import { conflictingSize, result, type FetchedImage, type Wanted } from './types.ts';

/** What a run does: the images already decided, and the downloads, one per signed hash. */
export interface FetchPlan {
  wanted: Wanted[];
  decided: Map<Wanted, FetchedImage>;
  /** Images sharing one signed hash, downloaded once (the first one's URL). */
  groups: Wanted[][];
}

/**
 * Step 1 of `fetchImages`: the images to fetch are the endorsed ones of enabled
 * subscriptions (with policy `fetch-scope approved`, only approved ones), minus those
 * already verified in the cache.
 */
export async function planFetch(
  inst: Instance,
  cache: ImageCache,
  policy: SitePolicy,
  subscription: string | undefined,
): Promise<FetchPlan> {
  const wanted = await selectImages(inst, policy, subscription);
  const decided = new Map<Wanted, FetchedImage>();
  const toFetch = new Map<string, Wanted[]>();
  const verified = await verifiedEntries(inst, wanted);
  for (const w of wanted) {
    if (w.sha256 === null) {
      // Bytes already verified against this SHA-512 (for another subscription): adopt them.
      const known = await adoptBySha512(inst, cache, w);
      if (known) {
        decided.set(w, { ...result(w, 'cached'), sha256: known });
        continue;
      }
    }
    const entry = w.sha256 !== null ? verified.get(w.sha256) : undefined;
    if (entry !== undefined && w.sha256 !== null && (await cache.has(w.sha256))) {
      // Same hash, other signed size: one of the two claims is false; never let the
      // second overwrite or quarantine bytes that were verified against the first.
      decided.set(
        w,
        entry === w.byteSize ? result(w, 'cached') : result(w, 'failed', conflictingSize(w, entry)),
      );
      continue;
    }
    const group = toFetch.get(hashKey(w));
    if (group) group.push(w);
    else toFetch.set(hashKey(w), [w]);
  }
  return { wanted, decided, groups: [...toFetch.values()] };
}

/** Downloads are shared per signed hash: SHA-256 where known, else SHA-512. */
function hashKey(w: Wanted): string {
  return w.sha256 ?? `sha512:${w.sha512 ?? ''}`;
}

/**
 * A verified cache entry with the image's SHA-512 and size: its SHA-256 is recorded on
 * the site image (the bytes are the same; the SHA-512 says so) and returned.
 */
async function adoptBySha512(
  inst: Instance,
  cache: ImageCache,
  w: Wanted,
): Promise<string | undefined> {
  if (w.sha512 === null) return undefined;
  const entry = await inst.store.db
    .selectFrom('cache_entries')
    .select('sha256')
    .where('sha512', '=', w.sha512)
    .where('byte_size', '=', w.byteSize)
    .where('state', '=', 'verified')
    .executeTakeFirst();
  if (!entry || !(await cache.has(entry.sha256))) return undefined;
  await learnSha256(inst, w, entry.sha256);
  return entry.sha256;
}

async function selectImages(
  inst: Instance,
  policy: SitePolicy,
  subscription: string | undefined,
): Promise<Wanted[]> {
  const db = inst.store.db;
  if (subscription !== undefined) {
    const found = await db
      .selectFrom('subscriptions')
      .select('id')
      .where('name', '=', subscription)
      .executeTakeFirst();
    if (!found) throw new VmicError('NOT_FOUND', `no subscription named ${subscription}`);
  }
  let q = db
    .selectFrom('site_images as i')
    .innerJoin('subscriptions as s', 's.id', 'i.subscription_id')
    .select([
      's.name as subscription',
      'i.subscription_id as subscriptionId',
      'i.identifier',
      'i.sha256',
      'i.sha512',
      'i.byte_size as byteSize',
      'i.download_url as url',
    ])
    .where('i.status', '=', 'endorsed')
    .where('s.enabled', '=', 1);
  if (subscription !== undefined) q = q.where('s.name', '=', subscription);
  const rows = await q.orderBy('s.name').orderBy('i.identifier').execute();
  const wanted = rows.map(({ subscriptionId: _, ...w }) => w);
  if (policy.fetchScope !== 'approved') return wanted;
  // The gate's approval rule (approvals.ts), so that fetch scope and gate cannot differ.
  const approvals = new Map<number, Awaited<ReturnType<typeof activeApprovals>>>();
  const approved: Wanted[] = [];
  for (const [i, row] of rows.entries()) {
    let held = approvals.get(row.subscriptionId);
    if (held === undefined) {
      held = await activeApprovals(db, row.subscriptionId);
      approvals.set(row.subscriptionId, held);
    }
    if (approvingRow(held, row.sha256, policy.approvalQuorum)) approved.push(wanted[i]!);
  }
  return approved;
}

/** Signed size of each verified entry among the wanted hashes. */
async function verifiedEntries(inst: Instance, wanted: Wanted[]): Promise<Map<string, number>> {
  const hashes = [...new Set(wanted.map((w) => w.sha256).filter((h): h is string => h !== null))];
  const out = new Map<string, number>();
  for (let i = 0; i < hashes.length; i += 500) {
    const rows = await inst.store.db
      .selectFrom('cache_entries')
      .select(['sha256', 'byte_size'])
      .where('state', '=', 'verified')
      .where('sha256', 'in', hashes.slice(i, i + 500))
      .execute();
    for (const r of rows) out.set(r.sha256, r.byte_size);
  }
  return out;
}
