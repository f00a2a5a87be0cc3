import type { Selectable } from 'kysely';
import { VmicError } from '../../errors/index.ts';
import { SHA256_HEX } from '../blobs/digest.ts';
import type { Queryable } from '../store/database.ts';
import type { SiteImageTable } from '../store/schema.ts';

export type SiteImageRow = Selectable<SiteImageTable> & {
  subscription: string;
  subscription_enabled: number;
};

export type ImageRef =
  { kind: 'identifier'; identifier: string } | { kind: 'sha256'; sha256: string };

/** IMAGE of docs/design.md §5: an identifier, or `sha256:HEX`. */
export function parseImageRef(ref: string): ImageRef {
  if (ref.startsWith('sha256:')) {
    const hex = ref.slice(7).toLowerCase();
    if (!SHA256_HEX.test(hex))
      throw new VmicError('BAD_REQUEST', 'sha256: must be followed by 64 hex digits');
    return { kind: 'sha256', sha256: hex };
  }
  if (ref.length === 0 || ref.length > 256)
    throw new VmicError('BAD_REQUEST', 'image identifier must be 1-256 characters');
  return { kind: 'identifier', identifier: ref };
}

/** Site images matching a reference, optionally within one subscription. */
export async function findSiteImages(
  db: Queryable,
  ref: ImageRef,
  subscription?: string,
): Promise<SiteImageRow[]> {
  let q = db
    .selectFrom('site_images')
    .innerJoin('subscriptions', 'subscriptions.id', 'site_images.subscription_id')
    .selectAll('site_images')
    .select([
      'subscriptions.name as subscription',
      'subscriptions.enabled as subscription_enabled',
    ]);
  q =
    ref.kind === 'sha256'
      ? q.where('site_images.sha256', '=', ref.sha256)
      : q.where('site_images.identifier', '=', ref.identifier);
  if (subscription !== undefined) q = q.where('subscriptions.name', '=', subscription);
  return q.orderBy('subscriptions.name').execute();
}

/** Exactly one site image for a reference; ambiguity across subscriptions is refused. */
export async function findOneSiteImage(
  db: Queryable,
  ref: string,
  subscription?: string,
): Promise<SiteImageRow> {
  const rows = await findSiteImages(db, parseImageRef(ref), subscription);
  if (rows.length === 0)
    throw new VmicError(
      'NOT_FOUND',
      `no imported image ${ref}${subscription ? ` in ${subscription}` : ''}`,
    );
  if (rows.length > 1) throw ambiguousImage(ref, rows);
  return rows[0]!;
}

/**
 * The refusal for a reference that names images in several subscriptions, listing every
 * candidate (threat: identifier shadowing, one endorser's name answered with another's
 * bytes). The caller picks one with `--subscription` / `?subscription=`.
 */
export function ambiguousImage(
  ref: string,
  rows: readonly Pick<SiteImageRow, 'subscription' | 'identifier' | 'sha256' | 'status'>[],
): VmicError {
  const candidates = rows
    .map(
      (r) =>
        `${r.subscription}/${r.identifier} (${r.sha256 ? `sha256:${r.sha256}` : 'SHA-256 not yet known'}, ${r.status})`,
    )
    .join('; ');
  return new VmicError(
    'CONFLICT',
    `${ref} is ambiguous: it names images in ${rows.length} subscriptions: ${candidates}. Name one with --subscription (API: ?subscription=)`,
    { rule: 'image.ambiguous' },
  );
}

/**
 * The reference the gate is asked with for one listed row: its identifier, or its own
 * hash when a foreign catalog's identifier itself reads as `sha256:...` (the hash names the
 * same image without that ambiguity). Undefined when neither can name it: such an
 * identifier on a SHA-512-only row whose SHA-256 is not known yet.
 */
export function gateRefOf(row: Pick<SiteImageRow, 'identifier' | 'sha256'>): string | undefined {
  if (!row.identifier.startsWith('sha256:')) return row.identifier;
  return row.sha256 !== null ? `sha256:${row.sha256}` : undefined;
}

/**
 * Imported images in list order: subscription name, then identifier (unique together, so
 * the order is total and a page boundary `after` never skips or repeats a row).
 */
export async function listSiteImages(
  db: Queryable,
  filter: {
    subscription?: string | undefined;
    after?: { subscription: string; identifier: string } | undefined;
    limit?: number | undefined;
  } = {},
): Promise<SiteImageRow[]> {
  let q = db
    .selectFrom('site_images')
    .innerJoin('subscriptions', 'subscriptions.id', 'site_images.subscription_id')
    .selectAll('site_images')
    .select([
      'subscriptions.name as subscription',
      'subscriptions.enabled as subscription_enabled',
    ]);
  if (filter.subscription !== undefined)
    q = q.where('subscriptions.name', '=', filter.subscription);
  const after = filter.after;
  if (after !== undefined)
    q = q.where((eb) =>
      eb(
        eb.refTuple('subscriptions.name', 'site_images.identifier'),
        '>',
        eb.tuple(after.subscription, after.identifier),
      ),
    );
  q = q.orderBy('subscriptions.name').orderBy('site_images.identifier');
  if (filter.limit !== undefined) q = q.limit(filter.limit);
  return q.execute();
}
