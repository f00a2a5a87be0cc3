import { IMPORT_LIMITS } from './rdf/import-limits.ts';
import { MAX_CLAIMS } from './rdf/image-parts-reader.ts';

export { MAX_CLAIMS };

/*
 * What a policy claim (`dcterms:conformsTo`, docs/design.md §2) may name: an absolute
 * http(s) or urn IRI, at most IMPORT_LIMITS.iriChars characters, and at most MAX_CLAIMS per
 * image or catalog: the bounds an importing site applies (catalog/rdf/image-parts-reader.ts),
 * so that an endorser never signs a claim every site would refuse. Pure (no store), so that
 * the HEPiX reader checks a list's claims with the same rule.
 */

/** Characters an N-Quads IRIREF cannot hold, and whitespace (a claim is compared exactly). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN = /[\s<>"{}|\\^`\u0000-\u001f\u007f]/u;
const URN = /^urn:[a-z0-9][a-z0-9-]{0,31}:[^\s]+$/i;

/** Why `iri` cannot be a policy claim; undefined when it can. */
export function policyIriProblem(iri: string): string | undefined {
  const shown = JSON.stringify(iri.slice(0, 200));
  if (iri.length === 0) return 'a policy IRI is empty';
  if (iri.length > IMPORT_LIMITS.iriChars)
    return `a policy IRI is longer than ${IMPORT_LIMITS.iriChars} characters`;
  if (FORBIDDEN.test(iri)) return `${shown} is not an IRI (whitespace or a forbidden character)`;
  if (/^urn:/i.test(iri)) return URN.test(iri) ? undefined : `${shown} is not a urn: IRI`;
  let url: URL;
  try {
    url = new URL(iri);
  } catch {
    return `${shown} is not an absolute IRI`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `${shown} is not an http(s) or urn IRI`;
  if (url.host === '') return `${shown} has no host`;
  return undefined;
}

/**
 * A list of claims, checked: every IRI valid, duplicates dropped, sorted (as publish signs
 * them), at most MAX_CLAIMS. Returns the problem instead of throwing, so each caller
 * refuses with its own code (BAD_REQUEST for an endorser, MALFORMED for a feed).
 */
export function checkClaimList(
  iris: readonly unknown[],
): { claims: string[] } | { problem: string } {
  const out = new Set<string>();
  for (const iri of iris) {
    if (typeof iri !== 'string') return { problem: 'a policy IRI must be a string' };
    const problem = policyIriProblem(iri);
    if (problem) return { problem };
    out.add(iri);
  }
  if (out.size > MAX_CLAIMS)
    return { problem: `${out.size} policy claims (at most ${MAX_CLAIMS})` };
  return { claims: [...out].sort() };
}
