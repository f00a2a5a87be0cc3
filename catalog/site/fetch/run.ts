import { VmicError, isVmicError } from '../../../errors/index.ts';
import { digestsEqual } from '../../blobs/digest.ts';
import type { Instance } from '../../instance.ts';
import { observe } from '../../observe.ts';
import { checkDigest, type ImageCache } from '../image-cache.ts';
import type { SitePolicy } from '../policy.ts';
import { downloadToPartial, type DownloadResult } from './download.ts';
import type { FetchPlan } from './plan.ts';
import { recordEntry, recordQuarantineBySha512 } from './record.ts';
import {
  asVmicError,
  conflictingSize,
  identity,
  result,
  type FetchOptions,
  type FetchedImage,
  type Wanted,
} from './types.ts';

/**
 * Steps 2 and 3 of `fetchImages`: each distinct hash is downloaded once, a few at a time
 * (policy `fetch-concurrency`), verified, and moved into the cache (`verified`) or
 * quarantined (`HASH_MISMATCH`). Adds every group's outcome to `plan.decided`.
 */
export async function runPlan(
  inst: Instance,
  cache: ImageCache,
  policy: SitePolicy,
  plan: FetchPlan,
  opts: FetchOptions,
): Promise<void> {
  await eachLimited(plan.groups, policy.fetchConcurrency, async (group) => {
    const first = group[0]!;
    // Whatever goes wrong with one image (even the database or the disk) is reported
    // for that image; the other downloads carry on.
    const outcome = await fetchOne(inst, cache, policy, first, opts).catch((e: unknown) =>
      result(first, 'failed', asVmicError(e, 'INTERNAL')),
    );
    const { subscription, code } = outcome;
    observe(inst, { type: 'fetch', subscription, outcome: outcome.outcome, code });
    for (const w of group)
      plan.decided.set(
        w,
        w.byteSize === first.byteSize
          ? { ...outcome, ...identity(w), sha256: outcome.sha256 }
          : result(w, 'failed', conflictingSize(w, first.byteSize)),
      );
  });
}

async function fetchOne(
  inst: Instance,
  cache: ImageCache,
  policy: SitePolicy,
  w: Wanted,
  opts: FetchOptions,
): Promise<FetchedImage> {
  let partial: string;
  let download: DownloadResult;
  try {
    partial =
      w.sha256 !== null ? cache.preparePartial(w.sha256) : cache.preparePartialBySha512(w.sha512!);
    download = await downloadToPartial(
      partial,
      { url: w.url, byteSize: w.byteSize },
      {
        // An idle timeout for a stalled server, a throughput floor for a trickling one,
        // and a deadline generous enough for a multi-GiB image (policy fetch-*).
        idleTimeoutMs: policy.feedTimeoutMs,
        minBytesPerSecond: policy.fetchMinBytesPerSecond,
        rateWindowMs: policy.fetchRateWindowSeconds * 1000,
        deadlineMs: policy.fetchDeadlineSeconds * 1000,
        sha512: w.sha512 !== null,
        onProgress: (bytes, arrived) => {
          observe(inst, { type: 'fetch.bytes', subscription: w.subscription, bytes: arrived });
          opts.onProgress?.({
            identifier: w.identifier,
            sha256: w.sha256 ?? '',
            bytes,
            total: w.byteSize,
          });
        },
      },
    );
  } catch (e) {
    return result(w, 'failed', asVmicError(e));
  }

  try {
    checkSignedHashes(download.digest, w);
  } catch (e) {
    if (!isVmicError(e) || e.code !== 'HASH_MISMATCH') throw e;
    if (w.sha256 === null) {
      await cache.quarantineBySha512(w.sha512!, partial);
      await recordQuarantineBySha512(
        inst,
        { ...w, sha512: w.sha512! },
        opts.actor,
        download.digest,
      );
      return result(w, 'quarantined', e);
    }
    await cache.quarantine(w.sha256, partial);
    await recordEntry(inst, { ...w, sha256: w.sha256 }, opts.actor, {
      state: 'quarantined',
      reason: 'HASH_MISMATCH',
      actual_sha256: download.digest.sha256,
      audit: {
        action: 'image.quarantined',
        details: {
          url: w.url,
          byteSize: w.byteSize,
          actualSha256: download.digest.sha256,
          actualSize: download.digest.size,
        },
      },
    });
    return result(w, 'quarantined', e);
  }

  // For a SHA-512-only image the SHA-256 computed over the same, now verified, bytes
  // becomes its cache name and is recorded on every site image signed with that SHA-512.
  const sha256 = w.sha256 ?? download.digest.sha256;
  await cache.commit(sha256, partial, download.digest.size);
  await recordEntry(inst, { ...w, sha256 }, opts.actor, {
    state: 'verified',
    reason: null,
    actual_sha256: null,
    audit: {
      action: 'image.fetched',
      details: {
        url: w.url,
        byteSize: w.byteSize,
        resumedFrom: download.resumedFrom,
        ...(w.sha512 !== null ? { sha512: w.sha512 } : {}),
      },
    },
  });
  return { ...result(w, download.resumedFrom > 0 ? 'resumed' : 'fetched'), sha256 };
}

/** Size, then every signed hash: SHA-256 where the catalog or list gave one, and SHA-512. */
function checkSignedHashes(actual: { sha256: string; sha512?: string; size: number }, w: Wanted) {
  if (w.sha256 !== null) checkDigest(actual, { sha256: w.sha256, byteSize: w.byteSize });
  else if (actual.size !== w.byteSize)
    throw new VmicError(
      'HASH_MISMATCH',
      `size is ${actual.size} bytes, the signed size is ${w.byteSize}`,
    );
  if (w.sha512 !== null && !digestsEqual(actual.sha512 ?? '', w.sha512))
    throw new VmicError(
      'HASH_MISMATCH',
      `SHA-512 is ${actual.sha512 ?? '(not computed)'}, the signed SHA-512 is ${w.sha512}`,
    );
}

async function eachLimited<T>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
