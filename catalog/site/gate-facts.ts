import type { Selectable } from 'kysely';
import type { Instance } from '../instance.ts';
import type { Queryable } from '../store/database.ts';
import type { CacheEntryTable } from '../store/schema.ts';
import type { HeldCatalog } from './freshness.ts';
import { readGateRows, type GateRow, type GateSelector } from './gate-query.ts';
import type { EndorsementFacts, ListingFacts, UnlistedFacts } from './gate-rules.ts';
import { activeApprovals, approvalStanding } from './approval-rule.ts';
import { quorumValue, toApproval } from './approval-rows.ts';
import { gatherEndorsementQuorum } from './endorsement-quorum.ts';
import { gatherPackageFacts } from './gate-packages.ts';
import { ImageCache } from './image-cache.ts';
import { keptVerdict, refreshSignerCheck } from './signer-checks.ts';
import { ambiguousImage, parseImageRef, type SiteImageRow } from './site-images.ts';

/** The newest verified catalog of a subscription, as the gate re-checks and reports it. */
export interface GateCatalog extends HeldCatalog {
  signer_subject: string;
  verified_at: string;
}

/** The facts of one listing, with the full rows the decision reports. */
export interface GatheredListing extends ListingFacts {
  image: SiteImageRow;
  catalog: GateCatalog | undefined;
  cacheEntry: Selectable<CacheEntryTable> | undefined;
}

/**
 * Gathers what the gate rules (gate-rules.ts) are judged on: the listing, its newest
 * catalog, the policy, the approval, the cache and the signer's verdict at `now`, read by
 * one statement (gate-query.ts).
 *
 * An identifier listed by more than one subscription is refused as ambiguous (CONFLICT,
 * naming the candidates) unless `subscription` picks one (threat: a second endorser
 * publishing a well-known name so that the gate answers for its bytes instead).
 */
export async function gatherGateFacts(
  inst: Instance,
  ref: string,
  subscription: string | undefined,
  now: Date,
): Promise<UnlistedFacts | GatheredListing> {
  const parsed = parseImageRef(ref);
  const db = inst.store.db;
  const rows = await readGateRows(db, { ref: parsed, subscription });
  if (parsed.kind === 'identifier' && rows.length > 1)
    throw ambiguousImage(
      ref,
      rows.map((r) => r.image),
    );
  // The same bytes (sha256:HEX) in two subscriptions are one image: decided for a
  // currently endorsed listing, whose subscription the answer names.
  const row = rows.find((r) => r.image.status === 'endorsed') ?? rows[0];
  if (!row) {
    const bytesKnownHere = parsed.kind === 'sha256' && (await knownHash(db, parsed.sha256));
    return { listed: false, bytesKnownHere };
  }
  return gatherListing(inst, row, now);
}

/** The facts of one listing already in hand (a row of the site images list). */
export async function gatherRowFacts(
  inst: Instance,
  row: SiteImageRow,
  now: Date,
): Promise<GatheredListing> {
  const sel: GateSelector = { subscriptionId: row.subscription_id, identifier: row.identifier };
  const [gateRow] = await readGateRows(inst.store.db, sel);
  if (!gateRow) throw new Error(`site image ${row.identifier} vanished while being decided`);
  return gatherListing(inst, gateRow, now);
}

async function gatherListing(inst: Instance, row: GateRow, now: Date): Promise<GatheredListing> {
  const { image, cacheEntry } = row;
  const bytesOnDisk =
    cacheEntry?.state === 'verified' &&
    image.sha256 !== null &&
    // A stat on disk; the row alone in a bucket (why: ImageCache.holdsVerified).
    ImageCache.of(inst).holdsVerified(image.sha256);
  const own = await endorsementFacts(inst, row, now);
  const quorum = quorumValue(row.approvalQuorum);
  return {
    listed: true,
    ...own,
    catalog: row.catalog,
    cacheEntry,
    bytesOnDisk,
    policyClaims: row.policyClaims,
    packages: await gatherPackageFacts(inst.store.db, row),
    ...(await approvalUnderQuorum(inst.store.db, row, quorum)),
    endorsementQuorum: await gatherEndorsementQuorum(
      inst.store.db,
      row.endorsementQuorum,
      image,
      own,
      (r) => endorsementFacts(inst, r, now),
    ),
  };
}

/** What the gate's endorsement rules judge a listing on: its catalog, the policy, the signer. */
async function endorsementFacts(
  inst: Instance,
  row: GateRow,
  now: Date,
): Promise<EndorsementFacts & { image: SiteImageRow }> {
  const { image, catalog } = row;
  const signer = catalog
    ? (keptVerdict(
        row.signerCheck,
        {
          subscriptionId: image.subscription_id,
          sequence: catalog.sequence,
          verifiedAt: catalog.verified_at,
        },
        row.trustGeneration,
        now,
      ) ?? (await refreshSignerCheck(inst.store.db, image.subscription_id, now)))
    : undefined;
  return { image, catalog, maxCatalogAgeSeconds: await maxCatalogAge(row.maxCatalogAge), signer };
}

/**
 * The approval that counts. With approval-quorum 1 (the default) the statement's own pick;
 * above 1, the subscription's active approvals are counted by distinct approver
 * (approval-rule.ts), and who approved so far is kept for the gate's message.
 */
async function approvalUnderQuorum(
  db: Queryable,
  row: GateRow,
  quorum: number,
): Promise<Pick<ListingFacts, 'approval' | 'approvalQuorum'>> {
  if (quorum === 1 || row.approval === undefined)
    return {
      approval: row.approval,
      approvalQuorum: quorum === 1 ? undefined : { needed: quorum, kind: undefined, approvers: [] },
    };
  const rows = await activeApprovals(db, row.image.subscription_id);
  const standing = approvalStanding(rows, row.image.sha256, quorum);
  const counted = standing.counted;
  return {
    approval: counted && {
      ...toApproval(counted, row.image.subscription),
      approvers: standing.approvers,
    },
    approvalQuorum: { needed: quorum, kind: standing.kind, approvers: standing.approvers },
  };
}

/**
 * The stored policy text read as readPolicy reads it. The schema code is loaded only when
 * the key is set, so that `vmic check` on a default policy does not load it.
 */
async function maxCatalogAge(text: string | null): Promise<number | undefined> {
  if (text === null) return undefined;
  const { policyKey, parsePolicyValue } = await import('./policy-schema.ts');
  const spec = policyKey('max-catalog-age');
  return spec ? (parsePolicyValue(spec, text) as number | undefined) : undefined;
}

async function knownHash(db: Queryable, sha256: string): Promise<boolean> {
  const approval = await db
    .selectFrom('approvals')
    .select('id')
    .where('sha256', '=', sha256)
    .limit(1)
    .executeTakeFirst();
  const cached = await db
    .selectFrom('cache_entries')
    .select('sha256')
    .where('sha256', '=', sha256)
    .executeTakeFirst();
  return approval !== undefined || cached !== undefined;
}
