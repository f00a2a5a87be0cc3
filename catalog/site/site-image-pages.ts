import { VmicError } from '../../errors/index.ts';
import type { Queryable } from '../store/database.ts';
import { listSiteImages, type SiteImageRow } from './site-images.ts';

/**
 * Pages of the site images list. Every listed row is decided through the gate, so a list
 * of every imported image costs one decision per image per request (threat: unbounded work
 * per request, a few thousand images hold a request for seconds). A page bounds that work.
 */

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 100;

/** Where a page starts: after this row in list order (subscription name, then identifier). */
export interface SiteImageKey {
  subscription: string;
  identifier: string;
}

export interface SiteImagePage {
  rows: SiteImageRow[];
  /** The cursor of the page after this one; undefined on the last page. */
  next: string | undefined;
}

/**
 * The opaque cursor after a row: base64url of its key. The key, not the row's id, so that a
 * page keeps the list's order and a row removed since (an unsubscribe) cannot strand it.
 */
export function cursorOf(row: SiteImageKey): string {
  return Buffer.from(JSON.stringify([row.subscription, row.identifier])).toString('base64url');
}

/** A cursor's key; anything this server did not write is a 400 on `/query/cursor`. */
export function parseCursor(cursor: string): SiteImageKey {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (
    Array.isArray(key) &&
    key.length === 2 &&
    typeof key[0] === 'string' &&
    typeof key[1] === 'string'
  ) {
    const parsed = { subscription: key[0], identifier: key[1] };
    // Lenient base64 decoding accepts other spellings of the same bytes; only ours is valid.
    if (cursorOf(parsed) === cursor) return parsed;
  }
  throw new VmicError('BAD_REQUEST', '/query/cursor: not a cursor of this list (use `next`)', {
    rule: '/query/cursor',
  });
}

/** Up to `limit` rows after `cursor`, and the cursor of the rest if there is any. */
export async function pageOfSiteImages(
  db: Queryable,
  opts: { subscription?: string | undefined; cursor?: string | undefined; limit: number },
): Promise<SiteImagePage> {
  if (!Number.isInteger(opts.limit) || opts.limit < 1 || opts.limit > MAX_PAGE)
    throw new VmicError('BAD_REQUEST', `limit must be 1-${MAX_PAGE}`, { rule: '/query/limit' });
  const after = opts.cursor === undefined ? undefined : parseCursor(opts.cursor);
  // One row more than asked says whether a next page exists without counting them all.
  const rows = await listSiteImages(db, {
    subscription: opts.subscription,
    after,
    limit: opts.limit + 1,
  });
  const more = rows.length > opts.limit;
  if (more) rows.length = opts.limit;
  const last = rows.at(-1);
  return { rows, next: more && last ? cursorOf(last) : undefined };
}

/** How many rows the list has (within one subscription), or has up to and with `through`. */
export async function countSiteImages(
  db: Queryable,
  opts: { subscription?: string | undefined; through?: SiteImageKey | undefined },
): Promise<number> {
  let q = db
    .selectFrom('site_images')
    .innerJoin('subscriptions', 'subscriptions.id', 'site_images.subscription_id')
    .select((eb) => eb.fn.countAll<number>().as('n'));
  if (opts.subscription !== undefined) q = q.where('subscriptions.name', '=', opts.subscription);
  const through = opts.through;
  if (through !== undefined)
    q = q.where((eb) =>
      eb(
        eb.refTuple('subscriptions.name', 'site_images.identifier'),
        '<=',
        eb.tuple(through.subscription, through.identifier),
      ),
    );
  return Number((await q.executeTakeFirstOrThrow()).n);
}
