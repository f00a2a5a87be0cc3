import { VmicError } from '../../errors/index.ts';
import type { Queryable } from '../store/database.ts';

/*
 * The two quorum keys of the site policy (issue 18, docs/design.md §7):
 * - `endorsement-quorum`, stored as `K of a,b,c`: an image of a named subscription is
 *   deployable only when at least K of them endorse its SHA-256 in a current catalog;
 * - `approval-quorum` N: an approval counts once N distinct people hold one.
 */

/** A subscription name as `subscribe` allows it. */
const NAME = '[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?';

/** The stored form's shape; `endorsementQuorumProblem` checks the counts. */
export const ENDORSEMENT_QUORUM_PATTERN = `^[0-9]{1,3} of ${NAME}(,${NAME}){0,63}$`;

export interface EndorsementQuorum {
  /** How many of `subscriptions` must endorse the same SHA-256. */
  needed: number;
  subscriptions: string[];
}

/** `2 of cern,desy,infn` read; undefined when it does not have that shape. */
export function parseEndorsementQuorum(text: string): EndorsementQuorum | undefined {
  const m = /^([0-9]+) of (.+)$/.exec(text);
  if (!m) return undefined;
  return { needed: Number(m[1]), subscriptions: m[2]!.split(',') };
}

/** The stored form of a quorum: `vmic policy set endorsement-quorum 2 --subscriptions a,b,c`. */
export function endorsementQuorumText(needed: string, subscriptions: string): string {
  return `${needed} of ${subscriptions}`;
}

/** What is wrong with a well-shaped value: K outside 1..n, or a name given twice. */
export function endorsementQuorumProblem(text: string): string | undefined {
  const q = parseEndorsementQuorum(text);
  if (!q) return undefined;
  const n = q.subscriptions.length;
  if (new Set(q.subscriptions).size !== n)
    return `a subscription is named twice in ${q.subscriptions.join(',')}`;
  if (q.needed < 1 || q.needed > n)
    return `the quorum must be between 1 and the number of subscriptions named (${n}), got ${q.needed}`;
  return undefined;
}

/**
 * At set time every named subscription must exist (threat: a typo that no subscription can
 * ever satisfy, or one an attacker could later create under that name). A subscription
 * removed afterwards is not dropped from the quorum: it counts as not endorsing, so the
 * quorum fails closed rather than shrinking (docs/design.md §7).
 */
export async function checkQuorumSubscriptions(db: Queryable, text: string): Promise<void> {
  const q = parseEndorsementQuorum(text);
  if (!q) return;
  const rows = await db
    .selectFrom('subscriptions')
    .select('name')
    .where('name', 'in', q.subscriptions)
    .execute();
  const known = new Set(rows.map((r) => r.name));
  const unknown = q.subscriptions.filter((s) => !known.has(s));
  if (unknown.length > 0)
    throw new VmicError(
      'BAD_REQUEST',
      `endorsement-quorum: no subscription named ${unknown.join(', ')} (vmic subscription list shows the names)`,
      { rule: 'policy.endorsement-quorum' },
    );
}
