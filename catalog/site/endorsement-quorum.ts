import { VmicError } from '../../errors/index.ts';
import type { Queryable } from '../store/database.ts';
import { readGateRows, type GateRow } from './gate-query.ts';
import type { EndorsementFacts, QuorumFacts, QuorumMember } from './gate-rules.ts';
import { parseEndorsementQuorum } from './quorum-policy.ts';
import type { SiteImageRow } from './site-images.ts';

/**
 * The facts of an endorsement quorum (policy `endorsement-quorum K of a,b,c`) for one
 * listing, or undefined when the policy is unset or its subscription is not named (an
 * image of another subscription is not affected). Every named subscription's listings of
 * the same SHA-256 are read as the gate reads any listing (gate-query.ts) and judged by
 * `judge`, the gate's own facts (freshness, signer check), so that "currently endorsed"
 * means here exactly what it means to the gate. A named subscription that was removed
 * stays in the quorum and counts as not endorsing: the quorum fails closed.
 */
export async function gatherEndorsementQuorum(
  db: Queryable,
  stored: string | null,
  image: SiteImageRow,
  own: EndorsementFacts,
  judge: (row: GateRow) => Promise<EndorsementFacts>,
): Promise<QuorumFacts | undefined> {
  if (stored === null) return undefined;
  const q = parseEndorsementQuorum(stored);
  // Only setPolicy writes it, checked; anything else stops the gate rather than skip the rule.
  if (!q)
    throw new VmicError('MALFORMED', `the stored endorsement-quorum ${stored} is not K of a,b,c`);
  if (!q.subscriptions.includes(image.subscription)) return undefined;
  const sha256 = image.sha256;
  const rows = sha256 === null ? [] : await readGateRows(db, { ref: { kind: 'sha256', sha256 } });
  const existing = await db
    .selectFrom('subscriptions')
    .select('name')
    .where('name', 'in', q.subscriptions)
    .execute();
  const exists = new Set(existing.map((r) => r.name));
  const members: QuorumMember[] = [];
  for (const name of q.subscriptions) {
    const listings =
      name === image.subscription
        ? [own]
        : await Promise.all(rows.filter((r) => r.image.subscription === name).map(judge));
    const member: QuorumMember = { subscription: name, listings };
    if (listings.length === 0 && sha256 !== null) {
      if (!exists.has(name)) member.removed = true;
      else member.otherSha256 = await otherBytes(db, name, image.identifier, sha256);
    }
    members.push(member);
  }
  return { needed: q.needed, sha256, members };
}

/** The SHA-256 a subscription lists the same identifier with, when it lists other bytes. */
async function otherBytes(
  db: Queryable,
  subscription: string,
  identifier: string,
  sha256: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('site_images as i')
    .innerJoin('subscriptions as s', 's.id', 'i.subscription_id')
    .select('i.sha256')
    .where('s.name', '=', subscription)
    .where('i.identifier', '=', identifier)
    .where('i.status', '=', 'endorsed')
    .executeTakeFirst();
  if (!row || row.sha256 === sha256) return undefined;
  return row.sha256 ?? 'not known yet';
}
