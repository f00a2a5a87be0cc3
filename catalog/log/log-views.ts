import { VmicError } from '../../errors/index.ts';
import { parseVerifierKey } from '../../tlog/index.ts';
import type { Selectable } from 'kysely';
import type { Queryable } from '../store/database.ts';
import type { LogViewTable } from '../store/schema-log.ts';
import type { Tx } from '../store/write-transaction.ts';

/**
 * This instance's view of other instances' logs (migration 0017): per origin, the log key
 * and the largest checkpoint seen, by imports and by the witness role alike, so that a
 * site witnesses what it imports and imports what it witnessed (docs/design.md §13). A
 * view only grows, and only by a compare-and-set on the view a check was made against
 * (threat: two checks against the same old view, the smaller winning last and rolling
 * the view back).
 */
export interface LogView {
  size: number;
  root: Uint8Array;
  /** The signed checkpoint, kept as evidence. */
  note: string;
}

/** The rule of the CONFLICT `growView` throws when the view moved under a check. */
export const VIEW_MOVED = 'log.view-moved';

export interface FollowedLog {
  origin: string;
  logKey: string;
  url: string | undefined;
  view: LogView | undefined;
  updatedAt: string;
}

export async function readFollowedLog(
  db: Queryable,
  origin: string,
): Promise<FollowedLog | undefined> {
  const r = await db
    .selectFrom('log_views')
    .selectAll()
    .where('origin', '=', origin)
    .executeTakeFirst();
  return r ? followedOf(r) : undefined;
}

export async function listFollowedLogs(db: Queryable): Promise<FollowedLog[]> {
  const rows = await db.selectFrom('log_views').selectAll().orderBy('origin').execute();
  return rows.map(followedOf);
}

function followedOf(r: Selectable<LogViewTable>): FollowedLog {
  return {
    origin: r.origin,
    logKey: r.log_key,
    url: r.url ?? undefined,
    view:
      r.note !== null && r.root !== null
        ? { size: Number(r.size), root: new Uint8Array(r.root), note: r.note }
        : undefined,
    updatedAt: r.updated_at,
  };
}

/**
 * Follows the log of `keyText` (its name is the origin): a row with no view yet. A log
 * already followed under another key is a CONFLICT (threat: a second key for an origin
 * sites already pinned, swapped in to sign a fork). `url`, when given, is where it is read.
 */
export async function followLog(
  tx: Tx,
  keyText: string,
  now: Date,
  url?: string,
): Promise<FollowedLog> {
  const origin = parseVerifierKey(keyText).name;
  const held = await readFollowedLog(tx, origin);
  if (held && held.logKey !== keyText.trim())
    throw new VmicError(
      'CONFLICT',
      `the log ${origin} is already followed with the key ${held.logKey}, not ${keyText.trim()}`,
    );
  if (!held)
    await tx
      .insertInto('log_views')
      .values({
        origin,
        log_key: keyText.trim(),
        url: url ?? null,
        root: null,
        note: null,
        updated_at: now.toISOString(),
      })
      .execute();
  else if (url !== undefined && held.url !== url)
    await tx.updateTable('log_views').set({ url }).where('origin', '=', origin).execute();
  return (await readFollowedLog(tx, origin))!;
}

/**
 * Replaces the view `expected` (what the caller checked against) with `next`, a larger or
 * equal checkpoint proved consistent with it. A view that moved meanwhile is a CONFLICT:
 * the caller checks again against the new one.
 */
export async function growView(
  tx: Tx,
  origin: string,
  expected: LogView | undefined,
  next: LogView,
  now: Date,
): Promise<void> {
  const held = await readFollowedLog(tx, origin);
  if (!held) throw new VmicError('NOT_FOUND', `the log ${origin} is not followed here`);
  const same =
    held.view === undefined
      ? expected === undefined
      : expected !== undefined &&
        held.view.size === expected.size &&
        Buffer.from(held.view.root).equals(Buffer.from(expected.root));
  if (!same)
    throw new VmicError(
      'CONFLICT',
      `this instance's view of the log ${origin} changed during the check; check again`,
      { rule: VIEW_MOVED },
    );
  if (expected && next.size < expected.size) return;
  await tx
    .updateTable('log_views')
    .set({
      size: next.size,
      root: Buffer.from(next.root),
      note: next.note,
      updated_at: now.toISOString(),
    })
    .where('origin', '=', origin)
    .execute();
}

/** Stops following a log (the witness forgets it; imports of a subscription pinning it re-follow). */
export async function unfollowLog(tx: Tx, origin: string): Promise<boolean> {
  const r = await tx.deleteFrom('log_views').where('origin', '=', origin).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export interface ForkEvidence {
  origin: string;
  subscription: string | undefined;
  foundBy: 'import' | 'witness';
  message: string;
  held: string;
  served: string;
}

export async function recordEvidence(tx: Tx, e: ForkEvidence, now: Date): Promise<void> {
  await tx
    .insertInto('log_evidence')
    .values({
      origin: e.origin,
      subscription: e.subscription ?? null,
      found_by: e.foundBy,
      message: e.message.slice(0, 2000),
      held_note: e.held,
      served_note: e.served,
      found_at: now.toISOString(),
    })
    .execute();
}

/** Marks a fork as read by an operator: kept, but no longer an error in `vmic status`. */
export async function acknowledgeEvidence(
  tx: Tx,
  id: number,
  by: string,
  now: Date,
): Promise<boolean> {
  const r = await tx
    .updateTable('log_evidence')
    .set({ acknowledged_at: now.toISOString(), acknowledged_by: by })
    .where('id', '=', id)
    .where('acknowledged_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function listEvidence(
  db: Queryable,
  filter: { subscription?: string } = {},
): Promise<Array<ForkEvidence & { id: number; foundAt: string; acknowledgedAt?: string }>> {
  let q = db.selectFrom('log_evidence').selectAll().orderBy('id', 'desc').limit(100);
  if (filter.subscription !== undefined) q = q.where('subscription', '=', filter.subscription);
  return (await q.execute()).map((r) => ({
    id: Number(r.id),
    origin: r.origin,
    subscription: r.subscription ?? undefined,
    foundBy: r.found_by as 'import' | 'witness',
    message: r.message,
    held: r.held_note,
    served: r.served_note,
    foundAt: r.found_at,
    ...(r.acknowledged_at ? { acknowledgedAt: r.acknowledged_at } : {}),
  }));
}
