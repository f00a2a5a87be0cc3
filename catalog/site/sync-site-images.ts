import type { Insertable, Selectable } from 'kysely';
import type { Tx } from '../store/write-transaction.ts';
import type { SiteImageTable } from '../store/schema.ts';

export interface ApplyCounts {
  added: number;
  changed: number;
  withdrawn: number;
}

type Row = Selectable<SiteImageTable>;
/** What a verified list or catalog says of one image; the rest of the row is bookkeeping. */
export type SignedImageValues = Omit<
  Insertable<SiteImageTable>,
  | 'id'
  | 'subscription_id'
  | 'identifier'
  | 'status'
  | 'first_sequence'
  | 'last_sequence'
  | 'updated_at'
>;

/**
 * Makes a subscription's site images equal to a verified catalog (docs/design.md §6 step 10),
 * inside the caller's transaction: new images are added, changed ones updated, and those
 * no longer listed withdrawn (their rows stay, so that the gate can say why). `valuesOf`
 * may look at the previous row (e.g. to keep a SHA-256 learned for the same bytes).
 */
export async function syncSiteImages(
  tx: Tx,
  subscriptionId: number,
  sequence: number,
  images: { identifier: string; valuesOf: (old: Row | undefined) => SignedImageValues }[],
  at: Date,
): Promise<ApplyCounts> {
  const now = at.toISOString();
  const existing = new Map(
    (
      await tx
        .selectFrom('site_images')
        .selectAll()
        .where('subscription_id', '=', subscriptionId)
        .execute()
    ).map((r) => [r.identifier, r]),
  );
  const counts: ApplyCounts = { added: 0, changed: 0, withdrawn: 0 };
  for (const img of images) {
    const old = existing.get(img.identifier);
    existing.delete(img.identifier);
    const values = img.valuesOf(old);
    if (!old) {
      await tx
        .insertInto('site_images')
        .values({
          ...values,
          subscription_id: subscriptionId,
          identifier: img.identifier,
          status: 'endorsed',
          first_sequence: sequence,
          last_sequence: sequence,
          updated_at: now,
        })
        .execute();
      counts.added++;
      continue;
    }
    const differs =
      old.status !== 'endorsed' ||
      (Object.keys(values) as (keyof SignedImageValues)[]).some((k) => old[k] !== values[k]);
    if (differs) counts.changed++;
    await tx
      .updateTable('site_images')
      .set({
        ...values,
        status: 'endorsed',
        last_sequence: sequence,
        ...(differs ? { updated_at: now } : {}),
      })
      .where('id', '=', old.id)
      .execute();
  }
  for (const gone of existing.values()) {
    if (gone.status === 'withdrawn') continue;
    await tx
      .updateTable('site_images')
      .set({ status: 'withdrawn', updated_at: now })
      .where('id', '=', gone.id)
      .execute();
    counts.withdrawn++;
  }
  return counts;
}
