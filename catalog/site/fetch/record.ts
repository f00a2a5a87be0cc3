import type { Instance } from '../../instance.ts';
import { appendAudit } from '../../audit/audit-log.ts';
import type { Queryable } from '../../store/database.ts';
import { writeTransaction } from '../../store/write-transaction.ts';
import { upsertCacheEntry } from '../image-cache.ts';
import type { Wanted } from './types.ts';

/**
 * What a fetch writes: the cache entry (one per signed hash; a later verified fetch
 * replaces a quarantined one), the SHA-256 learned for SHA-512-only site images, and the
 * audit record, in one transaction.
 */
export async function recordEntry(
  inst: Instance,
  w: Wanted & { sha256: string },
  actor: string,
  entry: {
    state: 'verified' | 'quarantined';
    reason: string | null;
    actual_sha256: string | null;
    audit: { action: 'image.fetched' | 'image.quarantined'; details: Record<string, unknown> };
  },
): Promise<void> {
  const at = inst.now();
  await writeTransaction(inst.store, async (tx) => {
    await upsertCacheEntry(tx, w.sha256, {
      byte_size: w.byteSize,
      sha512: w.sha512,
      state: entry.state,
      reason: entry.reason,
      actual_sha256: entry.actual_sha256,
      source: 'fetch',
      source_detail: w.url,
      updated_at: at.toISOString(),
    });
    if (entry.state === 'verified' && w.sha512 !== null) await setLearnedSha256(tx, w, w.sha256);
    await appendAudit(tx, {
      at,
      actor,
      action: entry.audit.action,
      subject: `sha256:${w.sha256}`,
      details: { subscription: w.subscription, identifier: w.identifier, ...entry.audit.details },
    });
  });
}

/**
 * Mismatching bytes of a SHA-512-only image: no signed SHA-256 to file a cache entry
 * under, so only the audit log says why (the image stays NOT_FETCHED at the gate).
 */
export async function recordQuarantineBySha512(
  inst: Instance,
  w: Wanted & { sha512: string },
  actor: string,
  actual: { sha512?: string; size: number },
): Promise<void> {
  await writeTransaction(inst.store, (tx) =>
    appendAudit(tx, {
      at: inst.now(),
      actor,
      action: 'image.quarantined',
      subject: `sha512:${w.sha512}`,
      details: {
        subscription: w.subscription,
        identifier: w.identifier,
        url: w.url,
        byteSize: w.byteSize,
        actualSha512: actual.sha512 ?? null,
        actualSize: actual.size,
      },
    }),
  );
}

/** Records a SHA-256 learned for the same bytes on every site image signed with this SHA-512. */
export async function learnSha256(inst: Instance, w: Wanted, sha256: string): Promise<void> {
  await writeTransaction(inst.store, (tx) => setLearnedSha256(tx, w, sha256));
}

async function setLearnedSha256(tx: Queryable, w: Wanted, sha256: string): Promise<void> {
  await tx
    .updateTable('site_images')
    .set({ sha256 })
    .where('sha512', '=', w.sha512)
    .where('byte_size', '=', w.byteSize)
    .where('sha256', 'is', null)
    .execute();
}
