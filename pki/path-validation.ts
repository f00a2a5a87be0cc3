import type { CertificateInfo } from './certificates.ts';
import { checkCertificateProfile, checkCriticalExtensions } from './cert-profile.ts';
import { checkNameConstraints } from './name-constraints.ts';
import { findPaths, toNode } from './path-building.ts';
import type { CertNode } from './path-building.ts';
import { failure, toError } from './path-failure.ts';
import type { PathFailure } from './path-failure.ts';
import {
  checkAlgorithms,
  checkBasicConstraints,
  checkExtendedKeyUsage,
  checkIssuerKeyUsage,
  checkKeyUsageConsistency,
  checkLeafKeyUsage,
  checkNameChaining,
  checkPathLength,
  checkValidity,
} from './path-rules.ts';
import { checkRevocation, toCrlNode } from './revocation.ts';
import type { CrlNode, RevocationPolicy } from './revocation.ts';

export interface PathValidationInput {
  leaf: Uint8Array;
  intermediates: Uint8Array[];
  anchors: Uint8Array[];
  crls?: Uint8Array[];
  time: Date;
  /** default best-effort */
  revocation?: RevocationPolicy;
  /** default digitalSignature */
  leafKeyUsage?: 'digitalSignature' | 'none';
  /** OIDs the leaf's extKeyUsage must allow, if it has one */
  requiredExtKeyUsage?: string[];
  /**
   * most certificates in a path, leaf and anchor included, self-issued intermediates not
   * counted (as for pathLenConstraint, RFC 5280 §6.1.4(l)); default 8
   */
  maxDepth?: number;
}

export interface ValidatedPath {
  /** leaf first, anchor last */
  chain: CertificateInfo[];
}

export interface PathExplanation {
  trusted: boolean;
  /** the path that passed, else the candidate with fewest failures (or the longest partial chain) */
  chain: CertificateInfo[];
  /** every rule that failed on that chain, in checklist order; empty when trusted */
  failures: PathFailure[];
}

export type { PathFailure };

const DEFAULT_MAX_DEPTH = 8;

/** An undecodable CRL is treated like an unverifiable one: never evidence of "not revoked". */
function usableCrlOrNothing(der: Uint8Array): CrlNode[] {
  try {
    return [toCrlNode(der)];
  } catch {
    return [];
  }
}

/** The checklist of DESIGN §6 steps 4–5 on one candidate path: every failure, in order. */
async function checkPath(
  path: CertNode[],
  crls: CrlNode[],
  input: PathValidationInput,
): Promise<PathFailure[]> {
  const leaf = path[0] as CertNode;
  return [
    ...checkAlgorithms(path),
    ...checkNameChaining(path),
    ...checkBasicConstraints(path),
    ...checkCertificateProfile(path),
    ...checkCriticalExtensions(path),
    ...checkPathLength(path),
    ...checkNameConstraints(path),
    ...checkIssuerKeyUsage(path),
    ...checkKeyUsageConsistency(path),
    ...checkLeafKeyUsage(leaf, input.leafKeyUsage ?? 'digitalSignature'),
    ...checkExtendedKeyUsage(leaf, input.requiredExtKeyUsage),
    ...checkValidity(path, input.time),
    ...(await checkRevocation(path, crls, input.time, input.revocation ?? 'best-effort')),
  ];
}

/**
 * Builds every candidate path from the leaf to a listed anchor and checks each against
 * all rules. Trusted if one passes; otherwise the candidate with the fewest failures is
 * the explanation (the first such, as built), so failures name concrete rules.
 */
export async function explainPath(input: PathValidationInput): Promise<PathExplanation> {
  const leaf = toNode(input.leaf);
  const pool = input.intermediates.map(toNode);
  const anchors = input.anchors.map(toNode);
  if (anchors.length === 0) {
    const f = failure('CHAIN_UNTRUSTED', 'trustAnchor', 'no trust anchors configured');
    return { trusted: false, chain: [leaf.info], failures: [f] };
  }
  const crls = (input.crls ?? []).flatMap(usableCrlOrNothing);
  const search = await findPaths(leaf, pool, anchors, input.maxDepth ?? DEFAULT_MAX_DEPTH);
  let best: { path: CertNode[]; failures: PathFailure[] } | undefined;
  for (const path of search.paths) {
    const failures = await checkPath(path, crls, input);
    if (failures.length === 0) return { trusted: true, chain: path.map((n) => n.info), failures };
    if (best === undefined || failures.length < best.failures.length) best = { path, failures };
  }
  if (best) return { trusted: false, chain: best.path.map((n) => n.info), failures: best.failures };
  return {
    trusted: false,
    chain: search.longestPartial.map((n) => n.info),
    failures: [noPathFailure(search, leaf)],
  };
}

function noPathFailure(search: Awaited<ReturnType<typeof findPaths>>, leaf: CertNode): PathFailure {
  if (search.budgetExceeded) {
    return failure('CHAIN_UNTRUSTED', 'pathBuilding', 'too many candidate issuers to try');
  }
  if (search.depthExceeded) {
    return failure('CHAIN_UNTRUSTED', 'maxDepth', 'no path to an anchor within maxDepth');
  }
  const bad = search.badSignatures[0];
  if (bad) {
    return failure(
      'CHAIN_UNTRUSTED',
      'signature',
      'signature does not verify with any issuer',
      bad,
    );
  }
  return failure('CHAIN_UNTRUSTED', 'trustAnchor', 'no path to a trust anchor', leaf);
}

/**
 * The validation every import uses (DESIGN §6 steps 4–5): the chain if trusted, else the
 * first failure of the best candidate path as a VmicError.
 */
export async function validatePath(input: PathValidationInput): Promise<ValidatedPath> {
  const result = await explainPath(input);
  const first = result.failures[0];
  if (first) throw toError(first);
  return { chain: result.chain };
}
