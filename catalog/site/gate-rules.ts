import type { ReasonCode } from '../../errors/index.ts';
import type { Approval } from './approvals.ts';
import { catalogLapse, imageLapse, type HeldCatalog } from './freshness.ts';
import type { SignerVerdict } from './signer-check.ts';
import type { SiteImageRow } from './site-images.ts';

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
}

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
  approved,
  fetchedAndVerified,
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
function endorsed({ image }: ListingFacts): GateReason[] {
  if (image.status === 'endorsed') return [];
  return [{ code: 'NOT_ENDORSED', message: 'withdrawn: not in the latest verified catalog' }];
}

// CATALOG_EXPIRED, at decision time and not only at import. Threat: a feed host that
// answers 304 for ever, or stops answering, freezing a catalog past its own expiry, the
// site's max-catalog-age or the image's own expiry.
function fresh({ catalog, maxCatalogAgeSeconds, image }: ListingFacts, now: Date): GateReason[] {
  const lapses = [
    catalog
      ? catalogLapse(catalog, now, maxCatalogAgeSeconds)
      : { rule: 'catalog', message: 'no verified catalog' },
    imageLapse(image, now),
  ];
  return lapses.flatMap((l) => (l ? [{ code: 'CATALOG_EXPIRED', message: l.message }] : []));
}

// SUBSCRIPTION_DISABLED. Threat: an endorser the site has cut off still reaching deployment.
function subscriptionEnabled({ image }: ListingFacts): GateReason[] {
  if (image.subscription_enabled === 1) return [];
  const message = `subscription ${image.subscription} is disabled`;
  return [{ code: 'SUBSCRIPTION_DISABLED', message }];
}

// NOT_APPROVED. Threat: bytes the site never consented to, e.g. an endorser republishing a
// known identifier with other bytes (approvals bind to the SHA-256).
function approved({ approval }: ListingFacts): GateReason[] {
  if (approval) return [];
  const message = 'no approval of this SHA-256 and no approval of its endorser';
  return [{ code: 'NOT_APPROVED', message }];
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
function signerTrusted({ signer }: ListingFacts): GateReason[] {
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
