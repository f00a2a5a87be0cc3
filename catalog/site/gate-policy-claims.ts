import { sql } from 'kysely';
import type { GateReason, ListingFacts } from './gate-rules.ts';

/*
 * POLICY_NOT_MET (docs/design.md §7): a subscription may require policies (`vmic subscribe
 * --require-policy IRI`); an image of it is deployable only if every required IRI is
 * claimed (`dcterms:conformsTo`, exact string match) by the image itself or by the newest
 * verified catalog it came from. Threats: deploying an image whose endorser never said it
 * meets the site's policy (e.g. the EGI/WLCG VM image policy), and a claim lingering after
 * the endorser dropped it: only the claims of the newest verified catalog count, and
 * site_images / site_catalogs hold exactly what that catalog signed (null when absent).
 */

/** What the rule is judged on; undefined when the subscription requires nothing. */
export interface PolicyClaimFacts {
  required: string[];
  /** The image's own claims, as the newest verified catalog signed them. */
  image: string[];
  /** The claims of the newest verified catalog of the subscription (every image). */
  catalog: string[];
}

/**
 * The columns gate-query.ts adds to its one statement: the subscription's requirement and,
 * only when it requires something, the newest catalog's claims. Read conditionally so that
 * a site requiring no policy never reads the catalog row past its covering index (the row
 * holds the stored catalog, megabytes, before this column).
 */
export const POLICY_CLAIM_COLUMNS = sql`s.require_policies as "pc.required",
      case when s.require_policies is null then null else (
        select conforms_to from site_catalogs
        where subscription_id = si.subscription_id
        order by sequence desc limit 1) end as "pc.catalog"`;

/** The rule's facts from one row of that statement (the image's claims are `si.conforms_to`). */
export function policyClaimFacts(
  r: Record<string, unknown>,
  imageClaims: string | null,
): PolicyClaimFacts | undefined {
  const required = parseList(r['pc.required']);
  if (required.length === 0) return undefined;
  return { required, image: parseList(imageClaims), catalog: parseList(r['pc.catalog']) };
}

function parseList(v: unknown): string[] {
  if (typeof v !== 'string') return [];
  const parsed: unknown = JSON.parse(v);
  return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
}

/** The required IRIs that neither the image nor its catalog claims. */
export function missingPolicies(f: PolicyClaimFacts): string[] {
  const claimed = new Set([...f.image, ...f.catalog]);
  return f.required.filter((iri) => !claimed.has(iri));
}

export function policyClaimsMet({ policyClaims: f }: ListingFacts): GateReason[] {
  if (!f) return [];
  const missing = missingPolicies(f);
  if (missing.length === 0) return [];
  const others = [...new Set([...f.image, ...f.catalog])].filter((i) => !f.required.includes(i));
  const claims =
    f.image.length + f.catalog.length === 0
      ? 'neither the image nor its catalog claims any policy'
      : `the image claims ${list(f.image)}; its catalog claims ${list(f.catalog)}${others.length ? ' (other policies than those required)' : ''}`;
  return [
    {
      code: 'POLICY_NOT_MET',
      message: `not claimed to conform to the required polic${missing.length === 1 ? 'y' : 'ies'} ${missing.join(', ')}: ${claims}`,
    },
  ];
}

function list(claims: string[]): string {
  return claims.length ? claims.join(', ') : 'none';
}
