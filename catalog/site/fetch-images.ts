import { VmicError, isVmicError } from '../../pki/errors.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { readPolicy, type SitePolicy } from './policy.ts';
import { acquireRunLock } from './run-lock.ts';
import { ImageCache, checkDigest } from './image-cache.ts';
import { digestsEqual } from '../blobs/digest.ts';
import { downloadToPartial, type DownloadResult } from './fetch/download.ts';

export type FetchOutcome = 'fetched' | 'cached' | 'resumed' | 'failed' | 'quarantined';

export interface FetchedImage {
  subscription: string;
  identifier: string;
  sha256: string;
  byteSize: number;
  outcome: FetchOutcome;
  code?: string;
  message?: string;
}

export interface FetchSummary {
  images: FetchedImage[];
  totals: Record<FetchOutcome, number>;
}

export interface FetchProgress {
  identifier: string;
  sha256: string;
  /** Bytes of this image on disk so far (a resumed download starts at the kept length). */
  bytes: number;
  total: number;
}

export interface FetchOptions {
  /** Only this subscription's images (by name). */
  subscription?: string;
  actor: string;
  onProgress?: (e: FetchProgress) => void;
  /** Called once before any download: how many images, and bytes, are to be fetched. */
  onPlan?: (plan: { images: number; bytes: number }) => void;
}

interface Wanted {
  subscription: string;
  identifier: string;
  /** '' for a HEPiX image signed by SHA-512 only, until a fetch has learned it. */
  sha256: string;
  sha512: string | null;
  byteSize: number;
  url: string;
}

/** Downloads are shared per signed hash: SHA-256 where known, else SHA-512. */
function hashKey(w: Wanted): string {
  return w.sha256 !== '' ? w.sha256 : `sha512:${w.sha512 ?? ''}`;
}

/**
 * `vmic fetch` (issue 3, item 4): downloads the images the site wants into its cache and
 * admits bytes only when their SHA-256 and size equal the signed values. The signed hash
 * is the only name a file gets; what the server says about the bytes is never trusted.
 *
 * 1. Choose the images: endorsed, of enabled subscriptions, and (policy `fetch-scope
 *    approved`) approved; skip those already verified in the cache.
 * 2. Download each distinct hash once, a few at a time (policy `fetch-concurrency`).
 * 3. Verify, then move into the cache and record `verified`, or quarantine the bytes and
 *    record `HASH_MISMATCH`.
 */
export async function fetchImages(inst: Instance, opts: FetchOptions): Promise<FetchSummary> {
  // Two runs appending to the same partial file would corrupt it.
  const lock = acquireRunLock(inst.config.dataDir, 'fetch');
  try {
    const policy = await readPolicy(inst.store.db);
    const cache = ImageCache.of(inst);
    const wanted = await selectImages(inst, policy, opts.subscription);

    const results = new Map<Wanted, FetchedImage>();
    const toFetch = new Map<string, Wanted[]>();
    const verified = await verifiedEntries(inst, wanted);
    for (const w of wanted) {
      if (w.sha256 === '') {
        // Bytes already verified against this SHA-512 (for another subscription): adopt them.
        const known = await adoptBySha512(inst, cache, w);
        if (known) {
          results.set(w, { ...result(w, 'cached'), sha256: known });
          continue;
        }
      }
      const entry = verified.get(w.sha256);
      if (entry !== undefined && cache.has(w.sha256)) {
        // Same hash, other signed size: one of the two claims is false; never let the
        // second overwrite or quarantine bytes that were verified against the first.
        results.set(
          w,
          entry === w.byteSize
            ? result(w, 'cached')
            : result(w, 'failed', conflictingSize(w, entry)),
        );
        continue;
      }
      const group = toFetch.get(hashKey(w));
      if (group) group.push(w);
      else toFetch.set(hashKey(w), [w]);
    }

    const groups = [...toFetch.values()];
    opts.onPlan?.({
      images: groups.length,
      bytes: groups.reduce((n, g) => n + g[0]!.byteSize, 0),
    });
    await eachLimited(groups, policy.fetchConcurrency, async (group) => {
      const first = group[0]!;
      // Whatever goes wrong with one image (even the database or the disk) is reported
      // for that image; the other downloads carry on.
      const outcome = await fetchOne(inst, cache, policy, first, opts).catch((e: unknown) =>
        result(first, 'failed', asVmicError(e, 'INTERNAL')),
      );
      for (const w of group)
        results.set(
          w,
          w.byteSize === first.byteSize
            ? { ...outcome, ...identity(w), sha256: outcome.sha256 }
            : result(w, 'failed', conflictingSize(w, first.byteSize)),
        );
    });

    const images = wanted.map((w) => results.get(w)!);
    const totals = { fetched: 0, cached: 0, resumed: 0, failed: 0, quarantined: 0 };
    for (const i of images) totals[i.outcome]++;
    return { images, totals };
  } finally {
    lock.release();
  }
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
      w.sha256 !== '' ? cache.preparePartial(w.sha256) : cache.preparePartialBySha512(w.sha512!);
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
        onProgress: (bytes) =>
          opts.onProgress?.({
            identifier: w.identifier,
            sha256: w.sha256,
            bytes,
            total: w.byteSize,
          }),
      },
    );
  } catch (e) {
    return result(w, 'failed', asVmicError(e));
  }

  try {
    checkSignedHashes(download.digest, w);
  } catch (e) {
    if (!isVmicError(e) || e.code !== 'HASH_MISMATCH') throw e;
    if (w.sha256 === '') {
      // No signed SHA-256 to file a cache entry under: the bytes go aside, the audit log
      // says why, and the image stays NOT_FETCHED at the gate.
      await cache.quarantineBySha512(w.sha512!, partial);
      await writeTransaction(inst.store, (tx) =>
        appendAudit(
          tx,
          {
            actor: opts.actor,
            action: 'image.quarantined',
            subject: `sha512:${w.sha512!}`,
            details: {
              subscription: w.subscription,
              identifier: w.identifier,
              url: w.url,
              byteSize: w.byteSize,
              actualSha512: download.digest.sha512 ?? null,
              actualSize: download.digest.size,
            },
          },
          inst.now(),
        ),
      );
      return result(w, 'quarantined', e);
    }
    await cache.quarantine(w.sha256, partial);
    await record(inst, w, opts.actor, {
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
  const sha256 = w.sha256 !== '' ? w.sha256 : download.digest.sha256;
  await cache.commit(sha256, partial);
  await record(inst, { ...w, sha256 }, opts.actor, {
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
  if (w.sha256 !== '') checkDigest(actual, { sha256: w.sha256, byteSize: w.byteSize });
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
  if (!entry || !cache.has(entry.sha256)) return undefined;
  await learnSha256(inst, w, entry.sha256);
  return entry.sha256;
}

async function learnSha256(inst: Instance, w: Wanted, sha256: string): Promise<void> {
  await writeTransaction(inst.store, (tx) =>
    tx
      .updateTable('site_images')
      .set({ sha256 })
      .where('sha512', '=', w.sha512)
      .where('byte_size', '=', w.byteSize)
      .where('sha256', '=', '')
      .execute(),
  );
}

/** One cache entry per signed hash; a later verified fetch replaces a quarantined one. */
async function record(
  inst: Instance,
  w: Wanted,
  actor: string,
  entry: {
    state: 'verified' | 'quarantined';
    reason: string | null;
    actual_sha256: string | null;
    audit: { action: string; details: Record<string, unknown> };
  },
): Promise<void> {
  const at = inst.now();
  const row = {
    byte_size: w.byteSize,
    sha512: w.sha512,
    state: entry.state,
    reason: entry.reason,
    actual_sha256: entry.actual_sha256,
    source: 'fetch',
    source_detail: w.url,
    updated_at: at.toISOString(),
  };
  await writeTransaction(inst.store, async (tx) => {
    await tx
      .insertInto('cache_entries')
      .values({ sha256: w.sha256, ...row })
      .onConflict((oc) => oc.column('sha256').doUpdateSet(row))
      .execute();
    if (entry.state === 'verified' && w.sha512 !== null)
      await tx
        .updateTable('site_images')
        .set({ sha256: w.sha256 })
        .where('sha512', '=', w.sha512)
        .where('byte_size', '=', w.byteSize)
        .where('sha256', '=', '')
        .execute();
    await appendAudit(
      tx,
      {
        actor,
        action: entry.audit.action,
        subject: `sha256:${w.sha256}`,
        details: { subscription: w.subscription, identifier: w.identifier, ...entry.audit.details },
      },
      at,
    );
  });
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
      'i.identifier',
      'i.sha256',
      'i.sha512',
      'i.byte_size as byteSize',
      'i.download_url as url',
    ])
    .where('i.status', '=', 'endorsed')
    .where('s.enabled', '=', 1);
  if (subscription !== undefined) q = q.where('s.name', '=', subscription);
  if (policy.fetchScope === 'approved')
    // docs/design.md §7: an approval binds to the SHA-256, or covers the whole endorser.
    q = q.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('approvals as a')
          .select('a.id')
          .whereRef('a.subscription_id', '=', 'i.subscription_id')
          .where('a.revoked_at', 'is', null)
          .where(({ eb, or, and, ref }) =>
            or([
              eb('a.kind', '=', 'endorser'),
              and([eb('a.kind', '=', 'image'), eb('a.sha256', '=', ref('i.sha256'))]),
            ]),
          ),
      ),
    );
  return q.orderBy('s.name').orderBy('i.identifier').execute();
}

/** Signed size of each verified entry among the wanted hashes. */
async function verifiedEntries(inst: Instance, wanted: Wanted[]): Promise<Map<string, number>> {
  const hashes = [...new Set(wanted.map((w) => w.sha256))];
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

function identity(w: Wanted) {
  return {
    subscription: w.subscription,
    identifier: w.identifier,
    sha256: w.sha256,
    byteSize: w.byteSize,
  };
}

function result(w: Wanted, outcome: FetchOutcome, error?: VmicError): FetchedImage {
  return {
    ...identity(w),
    outcome,
    ...(error ? { code: error.code, message: error.message } : {}),
  };
}

function conflictingSize(w: Wanted, other: number): VmicError {
  return new VmicError(
    'HASH_MISMATCH',
    `signed size ${w.byteSize} differs from ${other}, signed elsewhere for the same SHA-256`,
  );
}

function asVmicError(e: unknown, code: 'FETCH_FAILED' | 'INTERNAL' = 'FETCH_FAILED'): VmicError {
  if (isVmicError(e)) return e;
  return new VmicError(code, e instanceof Error ? e.message : String(e), { cause: e });
}
