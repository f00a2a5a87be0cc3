import type { ReasonCode } from '../../errors/index.ts';
import type { Approval } from './approvals.ts';
import { catalogLapse, imageLapse, type HeldCatalog } from './freshness.ts';
import type { SignerVerdict } from './signer-check.ts';
import type { SiteImageRow } from './site-images.ts';
import { policyClaimsMet, type PolicyClaimFacts } from './gate-policy-claims.ts';
import { packagesAllowed, type PackageFacts } from './gate-packages.ts';

export interface GateReason {
  code: ReasonCode;
  message: string;
}

/**
 * What the gate knows about an image reference, gathered (queries, cache check, signer
 * re-validation) before any rule is applied: see `gatherGateFacts` in gate-facts.ts.
 */
export type GateFacts = UnlistedFacts | ListingFacts;

/** No imported catalog lists the reference (in the subscription asked about). */
export interface UnlistedFacts {
  listed: false;
  /** For `sha256:HEX`: these bytes were approved or cached here once. */
  bytesKnownHere: boolean;
}

/** One listing of the image: the facts every rule of docs/design.md §7 is judged on. */
export interface ListingFacts {
  listed: true;
  image: Pick<SiteImageRow, 'status' | 'subscription' | 'subscription_enabled' | 'expires_at'>;
  /** The newest verified catalog of its subscription, if one is held. */
  catalog: HeldCatalog | undefined;
  /** The site policy's max-catalog-age. */
  maxCatalogAgeSeconds: number | undefined;
  approval: Approval | undefined;
  /** The cache's state row for the image's SHA-256, if any. */
  cacheEntry: { state: 'verified' | 'quarantined'; actual_sha256: string | null } | undefined;
  /** Whether verified bytes are on disk (only looked at when the entry is verified). */
  bytesOnDisk: boolean;
  /** The catalog signer's path validated now (signer-checks.ts); undefined without a catalog. */
  signer: SignerVerdict | undefined;
  /**
   * Under `approval-quorum` above 1: how many distinct approvers an approval needs, and who
   * approved so far (the kind with most approvers) while `approval` is not yet counted.
   */
  approvalQuorum?: ApprovalQuorumFacts | undefined;
  /** Under `endorsement-quorum`, for an image of a named subscription: each one's facts. */
  endorsementQuorum?: QuorumFacts | undefined;
  /** What the subscription requires and what is claimed (gate-policy-claims.ts). */
  policyClaims?: PolicyClaimFacts | undefined;
  /** Under deny-package: the image's inventory and its packages a rule names (gate-packages.ts). */
  packages?: PackageFacts | undefined;
}

export interface ApprovalQuorumFacts {
  needed: number;
  kind: 'image' | 'endorser' | undefined;
  approvers: string[];
}

/** The facts of each subscription an endorsement quorum names, about one SHA-256. */
export interface QuorumFacts {
  needed: number;
  /** The image's SHA-256 (null while a SHA-512-only image's is not known). */
  sha256: string | null;
  members: QuorumMember[];
}

export interface QuorumMember {
  subscription: string;
  /** Its listings of the same SHA-256, each judged by the gate's own endorsement rules. */
  listings: EndorsementFacts[];
  /** With no listing of it: the same identifier listed with these other bytes. */
  otherSha256?: string | undefined;
  /** The subscription the policy names no longer exists (it counts as not endorsing). */
  removed?: boolean;
}

/** What `endorsementLapses` judges: a listing's endorsement, freshness, subscription and signer. */
export type EndorsementFacts = Pick<
  ListingFacts,
  'image' | 'catalog' | 'maxCatalogAgeSeconds' | 'signer'
>;

/**
 * The deploy gate of docs/design.md §7 as a checklist, in its order. Pure: the same facts
 * and time give the same reasons. Every rule is evaluated (not just the first failure) so
 * that an operator sees at once everything that stands between an image and deployment;
 * no reasons means deployable.
 */
export function decide(facts: GateFacts, now: Date): GateReason[] {
  if (!facts.listed) return [unlisted(facts)];
  return CHECKLIST.flatMap((rule) => rule(facts, now));
}

type Rule = (facts: ListingFacts, now: Date) => GateReason[];

const CHECKLIST: readonly Rule[] = [
  endorsed,
  fresh,
  subscriptionEnabled,
  endorsementQuorumMet,
  policyClaimsMet,
  approved,
  fetchedAndVerified,
  packagesAllowed,
  signerTrusted,
];

// UNKNOWN_IMAGE / NOT_ENDORSED. Threat: deploying bytes that no current catalog vouches
// for; bytes known here once (an earlier version, or withdrawn) say so.
function unlisted(facts: UnlistedFacts): GateReason {
  return facts.bytesKnownHere
    ? {
        code: 'NOT_ENDORSED',
        message: 'these bytes are not in any current catalog (an earlier version, or withdrawn)',
      }
    : { code: 'UNKNOWN_IMAGE', message: 'no imported catalog lists this image' };
}

// NOT_ENDORSED. Threat: an image its endorser withdrew (e.g. found vulnerable) staying
// deployable because this site still holds its listing.
function endorsed({ image }: EndorsementFacts): GateReason[] {
  if (image.status === 'endorsed') return [];
  return [{ code: 'NOT_ENDORSED', message: 'withdrawn: not in the latest verified catalog' }];
}

// CATALOG_EXPIRED, at decision time and not only at import. Threat: a feed host that
// answers 304 for ever, or stops answering, freezing a catalog past its own expiry, the
// site's max-catalog-age or the image's own expiry.
function fresh(
  { catalog, maxCatalogAgeSeconds, image }: EndorsementFacts,
  now: Date,
): GateReason[] {
  const lapses = [
    catalog
      ? catalogLapse(catalog, now, maxCatalogAgeSeconds)
      : { rule: 'catalog', message: 'no verified catalog' },
    imageLapse(image, now),
  ];
  return lapses.flatMap((l) => (l ? [{ code: 'CATALOG_EXPIRED', message: l.message }] : []));
}

// SUBSCRIPTION_DISABLED. Threat: an endorser the site has cut off still reaching deployment.
function subscriptionEnabled({ image }: EndorsementFacts): GateReason[] {
  if (image.subscription_enabled === 1) return [];
  const message = `subscription ${image.subscription} is disabled`;
  return [{ code: 'SUBSCRIPTION_DISABLED', message }];
}

// NOT_APPROVED. Threat: bytes the site never consented to, e.g. an endorser republishing a
// known identifier with other bytes (approvals bind to the SHA-256).
// Under approval-quorum N, an approval counts once N distinct people hold one (threat: one
// person, or one stolen account, deploying alone); the message names who approved so far.
function approved({ approval, approvalQuorum: q }: ListingFacts): GateReason[] {
  if (approval) return [];
  const none = 'no approval of this SHA-256 and no approval of its endorser';
  if (!q || q.needed <= 1) return [{ code: 'NOT_APPROVED', message: none }];
  const more = q.needed - q.approvers.length;
  const message =
    q.approvers.length === 0
      ? `${none} (approval-quorum ${q.needed}: ${q.needed} approvers needed)`
      : `${q.kind === 'endorser' ? 'endorser ' : ''}approved by ${q.approvers.join(', ')}; ${more} more approver${more === 1 ? '' : 's'} needed (approval-quorum ${q.needed})`;
  return [{ code: 'NOT_APPROVED', message }];
}

/**
 * What a listing lacks to count as a current endorsement: the gate's own rules for
 * endorsement, freshness, the subscription and the signer, judged at `now` (no reasons:
 * it endorses). Used for every subscription an endorsement quorum names.
 */
export function endorsementLapses(facts: EndorsementFacts, now: Date): GateReason[] {
  return [endorsed, fresh, subscriptionEnabled, signerTrusted].flatMap((r) => r(facts, now));
}

/** Who endorses the SHA-256 among the subscriptions a quorum names, and why the others do not. */
export interface QuorumStanding {
  needed: number;
  subscriptions: string[];
  sha256: string;
  endorsing: string[];
  notEndorsing: { subscription: string; why: string }[];
  met: boolean;
}

export function quorumStanding(q: QuorumFacts, now: Date): QuorumStanding {
  const endorsing: string[] = [];
  const notEndorsing: QuorumStanding['notEndorsing'] = [];
  for (const m of q.members) {
    const lapses = m.listings.map((l) => endorsementLapses(l, now));
    if (lapses.some((l) => l.length === 0)) endorsing.push(m.subscription);
    else notEndorsing.push({ subscription: m.subscription, why: whyNot(q, m, lapses[0]) });
  }
  return {
    needed: q.needed,
    subscriptions: q.members.map((m) => m.subscription),
    sha256: q.sha256 ?? '',
    endorsing,
    notEndorsing,
    met: q.sha256 !== null && endorsing.length >= q.needed,
  };
}

function whyNot(q: QuorumFacts, m: QuorumMember, lapses: GateReason[] | undefined): string {
  if (q.sha256 === null) return 'SHA-256 not known yet (vmic fetch verifies it)';
  if (m.removed) return 'subscription removed; it counts as not endorsing';
  if (lapses?.[0]) return lapses.map((r) => `${r.code}: ${r.message}`).join(', ');
  if (m.otherSha256 !== undefined) return `another SHA-256: sha256:${m.otherSha256}`;
  return 'not listed';
}

// QUORUM_NOT_MET. Threat: one endorser (or one stolen endorser key) alone making an image
// deployable where the site wants several to vouch for the same bytes.
function endorsementQuorumMet({ endorsementQuorum: q }: ListingFacts, now: Date): GateReason[] {
  if (!q) return [];
  const s = quorumStanding(q, now);
  if (s.met) return [];
  const names = (xs: string[]) =>
    xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`;
  const who =
    q.sha256 === null
      ? "the image's SHA-256 is not known yet (vmic fetch verifies it)"
      : s.endorsing.length === 0
        ? `none endorses sha256:${s.sha256}`
        : `${names(s.endorsing)} endorse${s.endorsing.length === 1 ? 's' : ''} sha256:${s.sha256}`;
  const others =
    q.sha256 === null ? [] : s.notEndorsing.map((n) => `${n.subscription} does not (${n.why})`);
  const message = `${s.needed} of ${s.subscriptions.length} needed (endorsement-quorum): ${[who, ...others].join('; ')}`;
  return [{ code: 'QUORUM_NOT_MET', message }];
}

// HASH_MISMATCH / NOT_FETCHED. Threat: bytes swapped on the mirror or in transit; only a
// local copy verified against the signed hash may be deployed.
function fetchedAndVerified({ cacheEntry, bytesOnDisk }: ListingFacts): GateReason[] {
  if (cacheEntry?.state === 'quarantined') {
    const actual = cacheEntry.actual_sha256 ?? 'something else';
    const message = `bytes fetched for this image hashed to ${actual}; kept in quarantine`;
    return [{ code: 'HASH_MISMATCH', message }];
  }
  if (cacheEntry?.state === 'verified' && bytesOnDisk) return [];
  return [{ code: 'NOT_FETCHED', message: 'no verified copy in the site cache' }];
}

// SIGNER_REVOKED, or the code of whatever else fails in the signer's path judged now
// (CERT_EXPIRED, CRL_STALE, CRL_INVALID, CHAIN_UNTRUSTED, ...). Threats: a signer key
// compromised after import; a signer certificate past its notAfter (its CA no longer
// lists it when revoked); revocation failing open at the gate (an unusable or stale CRL
// stops deployment, as it stops import).
function signerTrusted({ signer }: EndorsementFacts): GateReason[] {
  if (signer?.outcome === 'revoked')
    return [
      {
        code: 'SIGNER_REVOKED',
        message: `revoked since the catalog was imported: ${signer.message}`,
      },
    ];
  if (signer?.outcome === 'refused')
    return [
      {
        code: signer.code,
        message: `the catalog signer's path no longer validates: ${signer.message}`,
      },
    ];
  return [];
}
