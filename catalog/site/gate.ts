import type { Instance } from '../instance.ts';
import type { Approval } from './approvals.ts';
import { gatherGateFacts, gatherRowFacts, type GatheredListing } from './gate-facts.ts';
import { gateRefOf, type SiteImageRow } from './site-images.ts';
import { decide, quorumStanding, type GateReason, type QuorumStanding } from './gate-rules.ts';
import { observe } from '../observe.ts';
import { missingPolicies } from './gate-policy-claims.ts';
import { signedDerivation, type Derivation } from '../rdf/model.ts';

export type { GateReason } from './gate-rules.ts';

/**
 * The answer to "may this image be deployed here?" (docs/design.md §7), with every failing
 * reason. Either no catalog lists the reference (never deployable, nothing more to say), or
 * it names the listing decided for. `identifier` (like `subscription` and `sha256`) is set
 * exactly when a listing was found, and narrows the union; so does `deployable: true`.
 */
export type DeployDecision = UnlistedDecision | ListedDecision;

interface DecisionBase {
  /** The reference asked about, as given. */
  image: string;
  decidedAt: string;
  reasons: GateReason[];
}

/** What a listing adds to the answer. */
export interface Listing {
  subscription: string;
  identifier: string;
  title: string;
  sha256: string;
  byteSize: number;
  /** The image's own expiry (HEPiX `dc:date:expires`), when its list gave one. */
  expiresAt?: string;
  catalog?: {
    sequence: number;
    issuedAt: string;
    expiresAt: string;
    /** When this site verified it; a `304 Not Modified` since then verifies nothing. */
    verifiedAt: string;
    signer: string;
  };
  approval?: Approval;
  /** Under approval-quorum above 1: distinct approvers needed, and who approved so far. */
  approvalQuorum?: { needed: number; kind?: 'image' | 'endorser'; approvers: string[] };
  /** Under endorsement-quorum, for an image of a named subscription: who endorses its SHA-256. */
  endorsementQuorum?: QuorumStanding;
  /** The policies the image itself is claimed to conform to (`dcterms:conformsTo`). */
  conformsTo?: string[];
  /**
   * An adopted image's origin as its catalog signed it (PROV-O): the chain "endorsed by
   * `catalog.signer`, derived from `derivedFrom.x509Subject`'s catalog `sequence`".
   */
  derivedFrom?: Omit<Derivation, 'iri'>;
  /** When the subscription requires policies: those, the catalog's claims, and what is missing. */
  policies?: { required: string[]; catalogClaims: string[]; missing: string[] };
  /** Where the verified bytes came from: a fetch from the endorser's URL or a migration from a peer. */
  bytes?: { source: string; detail: string | null; verifiedAt: string };
}

/** UNKNOWN_IMAGE, or NOT_ENDORSED for bytes known here that no current catalog lists. */
export type UnlistedDecision = DecisionBase & { deployable: false } & {
  [K in keyof Listing]?: undefined;
};

export type ListedDecision = DecisionBase & { deployable: boolean } & Listing;

/**
 * The deploy gate: gathers the facts (gate-facts.ts), then applies the checklist
 * (gate-rules.ts) at the time of the question. An identifier listed by more than one
 * subscription is refused as ambiguous unless `subscription` picks one.
 */
export async function decideDeployment(
  inst: Instance,
  ref: string,
  opts: { subscription?: string | undefined } = {},
): Promise<DeployDecision> {
  const now = inst.now();
  const facts = await gatherGateFacts(inst, ref, opts.subscription, now);
  const reasons = decide(facts, now);
  const base = { image: ref, decidedAt: now.toISOString() };
  if (!facts.listed) return { ...base, deployable: false, reasons };
  return { ...base, deployable: reasons.length === 0, reasons, ...listingOf(facts, now) };
}

/**
 * `decideDeployment` for a deployment system's question (the API's gate route), reported to
 * the instance's observers. Lists and dashboards that decide every image call
 * `decideDeployment` / `decideSiteImage` directly, so they do not count as questions.
 */
export async function answerGate(
  inst: Instance,
  ref: string,
  opts: { subscription?: string | undefined } = {},
): Promise<DeployDecision> {
  const d = await decideDeployment(inst, ref, opts);
  const reasons = d.reasons.map((r) => r.code);
  const subscription = d.subscription ?? opts.subscription;
  observe(inst, { type: 'gate', image: ref, subscription, deployable: d.deployable, reasons });
  return d;
}

/**
 * The decision for one row of the site images list, asked by the reference that names it
 * (`gateRefOf`) in its subscription. A row no reference can name (an identifier reading
 * as `sha256:...` on a row whose SHA-256 is not known yet) is decided for itself.
 */
export async function decideSiteImage(inst: Instance, row: SiteImageRow): Promise<DeployDecision> {
  const ref = gateRefOf(row);
  if (ref !== undefined) return decideDeployment(inst, ref, { subscription: row.subscription });
  const now = inst.now();
  const facts = await gatherRowFacts(inst, row, now);
  const reasons = decide(facts, now);
  return {
    image: row.identifier,
    decidedAt: now.toISOString(),
    deployable: reasons.length === 0,
    reasons,
    ...listingOf(facts, now),
  };
}

/** The listing's part of the answer (the JSON of `GET /api/v1/gate/{IMAGE}`). */
function listingOf(facts: GatheredListing, now: Date): Listing {
  const { image, catalog, approval, cacheEntry, approvalQuorum, endorsementQuorum } = facts;
  const claims = image.conforms_to === null ? [] : (JSON.parse(image.conforms_to) as string[]);
  const pc = facts.policyClaims;
  return {
    subscription: image.subscription,
    identifier: image.identifier,
    title: image.title,
    // '' while a SHA-512-only image's SHA-256 is not known (the answer's shape is unchanged).
    sha256: image.sha256 ?? '',
    byteSize: image.byte_size,
    ...(image.expires_at !== null ? { expiresAt: image.expires_at } : {}),
    ...(catalog
      ? {
          catalog: {
            sequence: catalog.sequence,
            issuedAt: catalog.issued_at,
            expiresAt: catalog.expires_at,
            verifiedAt: catalog.verified_at,
            signer: catalog.signer_subject,
          },
        }
      : {}),
    ...(claims.length ? { conformsTo: claims } : {}),
    ...(image.derived_from !== null ? { derivedFrom: signedDerivation(image.derived_from) } : {}),
    ...(pc
      ? {
          policies: {
            required: pc.required,
            catalogClaims: pc.catalog,
            missing: missingPolicies(pc),
          },
        }
      : {}),
    ...(approval ? { approval } : {}),
    ...(approvalQuorum
      ? {
          approvalQuorum: {
            needed: approvalQuorum.needed,
            ...(approvalQuorum.kind ? { kind: approvalQuorum.kind } : {}),
            approvers: approvalQuorum.approvers,
          },
        }
      : {}),
    ...(endorsementQuorum ? { endorsementQuorum: quorumStanding(endorsementQuorum, now) } : {}),
    ...(cacheEntry?.state === 'verified'
      ? {
          bytes: {
            source: cacheEntry.source,
            detail: cacheEntry.source_detail,
            verifiedAt: cacheEntry.updated_at,
          },
        }
      : {}),
  };
}
