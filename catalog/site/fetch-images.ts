import type { Instance } from '../instance.ts';
import { refreshApprovalFeedAfterChange } from './approval-feed.ts';
import { readPolicy } from './policy.ts';
import { acquireRunLock } from './run-lock.ts';
import { ImageCache } from './image-cache.ts';
import { planFetch } from './fetch/plan.ts';
import { runPlan } from './fetch/run.ts';
import { fetchInventories } from './inventory/fetch-sbom.ts';
import type { FetchOptions, FetchSummary } from './fetch/types.ts';

export type {
  FetchOptions,
  FetchOutcome,
  FetchProgress,
  FetchSummary,
  FetchedImage,
} from './fetch/types.ts';

/**
 * `vmic fetch`: downloads the images the site wants into its cache and admits bytes only
 * when their SHA-256 and size equal the signed values. The signed hash is the only name a
 * file gets; what the server says about the bytes is never trusted.
 *
 * 1. Plan (`fetch/plan.ts`): the images are the endorsed ones of enabled subscriptions
 *    and (policy `fetch-scope approved`) approved ones; those already verified in the
 *    cache are skipped.
 * 2. Run (`fetch/run.ts`, `fetch/download.ts`): each distinct hash is downloaded once, a
 *    few at a time (policy `fetch-concurrency`).
 * 3. Record (`fetch/record.ts`): verified bytes move into the cache and are recorded
 *    `verified`; others are quarantined and recorded `HASH_MISMATCH`.
 */
export async function fetchImages(inst: Instance, opts: FetchOptions): Promise<FetchSummary> {
  // Two runs appending to the same partial file would corrupt it.
  const lock = await acquireRunLock(inst.store.db, 'fetch', { now: inst.now });
  try {
    const policy = await readPolicy(inst.store.db);
    const cache = ImageCache.of(inst);
    const plan = await planFetch(inst, cache, policy, opts.subscription);
    opts.onPlan?.({
      images: plan.groups.length,
      bytes: plan.groups.reduce((n, g) => n + g[0]!.byteSize, 0),
    });
    await runPlan(inst, cache, policy, plan, opts);

    const images = plan.wanted.map((w) => plan.decided.get(w)!);
    const totals = { fetched: 0, cached: 0, resumed: 0, failed: 0, quarantined: 0 };
    for (const i of images) totals[i.outcome]++;
    // 4. The signed software inventories of the same images (issue 19; fetch-sbom.ts).
    const inventories = await fetchInventories(inst, policy, plan.wanted, opts.actor);
    await refreshApprovalFeedAfterChange(inst);
    return { images, totals, inventories };
  } finally {
    await lock.release();
  }
}
