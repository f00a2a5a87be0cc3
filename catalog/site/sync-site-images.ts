import type { Insertable, Selectable } from 'kysely';
import type { Tx } from '../store/write-transaction.ts';
import type { SiteImageTable } from '../store/schema.ts';
import { forIdChunks, insertRows, updateRowsById, type RowValues } from '../store/bulk-write.ts';
import { IMAGE_FIELD_KEYS, IMAGE_FIELDS, type MetadataColumns } from '../image-fields.ts';

export interface ApplyCounts {
  added: number;
  changed: number;
  withdrawn: number;
}

type Row = Selectable<SiteImageTable>;

/** What a catalog states beyond the disk (migration 0022): inventory, claims, provenance. */
const CHAIN_COLUMNS = [
  'sbom_sha256',
  'sbom_media_type',
  'sbom_byte_size',
  'sbom_url',
  'conforms_to',
  'derived_from',
] as const;
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
 * Every column a signed catalog or list sets: the image fields, then the rest. Spelled out
 * so that the insert names each column once for all rows; the check below fails to
 * compile when the table gains a signed column this list lacks. A value a row leaves out
 * is written NULL, which is what the column would default to.
 */
const SIGNED_COLUMNS = [
  ...IMAGE_FIELD_KEYS.map((k) => IMAGE_FIELDS[k].column),
  ...(['iri', 'byte_size', 'sha256', 'sha512', 'extra', 'download_url', 'expires_at'] as const),
  ...CHAIN_COLUMNS,
];
type Unlisted = Exclude<
  keyof SignedImageValues,
  | keyof MetadataColumns
  | 'iri'
  | 'byte_size'
  | 'sha256'
  | 'sha512'
  | 'extra'
  | 'download_url'
  | 'expires_at'
  | (typeof CHAIN_COLUMNS)[number]
>;
const everySignedColumn: [Unlisted] extends [never] ? true : never = true;
void everySignedColumn;
const INSERT_COLUMNS = [
  'subscription_id',
  'identifier',
  'status',
  'first_sequence',
  'last_sequence',
  'updated_at',
  ...SIGNED_COLUMNS,
];

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
  // The whole difference first, then a few statements for it (bulk-write.ts): one query
  // per image made a 10,000-image import mostly query building.
  const added: unknown[][] = [];
  const changed: { id: number; values: RowValues }[] = [];
  const listedAgain: number[] = [];
  for (const img of images) {
    const old = existing.get(img.identifier);
    existing.delete(img.identifier);
    const values = img.valuesOf(old);
    if (!old) {
      // In column order, without an object per row: spreading each image's values into
      // a new row object was the largest cost of the apply after SQLite itself.
      const row: unknown[] = [subscriptionId, img.identifier, 'endorsed', sequence, sequence, now];
      for (const column of SIGNED_COLUMNS) row.push(values[column] ?? null);
      added.push(row);
      counts.added++;
      continue;
    }
    const differs =
      old.status !== 'endorsed' ||
      (Object.keys(values) as (keyof SignedImageValues)[]).some((k) => old[k] !== values[k]);
    if (!differs) {
      // Same signed values, still endorsed: only the sequence that lists it moves on.
      listedAgain.push(old.id);
      continue;
    }
    counts.changed++;
    changed.push({
      id: old.id,
      values: { ...values, status: 'endorsed', last_sequence: sequence, updated_at: now },
    });
  }
  const withdrawn = [...existing.values()].filter((r) => r.status !== 'withdrawn').map((r) => r.id);
  counts.withdrawn = withdrawn.length;

  await forIdChunks(listedAgain, (ids) =>
    tx.updateTable('site_images').set({ last_sequence: sequence }).where('id', 'in', ids).execute(),
  );
  await updateRowsById(tx, 'site_images', changed);
  await insertRows(tx, 'site_images', INSERT_COLUMNS, added);
  await forIdChunks(withdrawn, (ids) =>
    tx
      .updateTable('site_images')
      .set({ status: 'withdrawn', updated_at: now })
      .where('id', 'in', ids)
      .execute(),
  );
  return counts;
}
