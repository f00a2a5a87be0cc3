import type { CertificateInfo } from './certificates.ts';
import { checkCertificateProfile, checkCriticalExtensions } from './cert-profile.ts';
import { checkNameConstraints } from './name-constraints.ts';
import { SignatureBudget, findPaths, toNode } from './path-building.ts';
import type { CertNode, PathSearchResult } from './path-building.ts';
import { checkPublicKeyStrength } from './algorithms.ts';
import { failure, fromError, toError } from './path-failure.ts';
import type { PathFailure } from './path-failure.ts';
import {
  checkAlgorithms,
  checkBasicConstraints,
  checkExtendedKeyUsage,
  checkIssuerKeyUsage,
  checkSignerExtendedKeyUsage,
  checkKeyUsageConsistency,
  checkLeafKeyUsage,
  checkNameChaining,
  checkPathLength,
  checkValidity,
} from './path-rules.ts';
import { checkRevocation, toCrlNode } from './revocation.ts';
import type { CrlNode, RevocationContext, RevocationPolicy } from './revocation.ts';

export interface PathValidationInput {
  leaf: Uint8Array;
  intermediates: Uint8Array[];
  anchors: Uint8Array[];
  crls?: Uint8Array[];
  /** certificate validity is judged at this time */
  time: Date;
  /**
   * CRLs are judged at this time (thisUpdate, nextUpdate); default `time`. The deploy
   * gate re-checks a signer at the time it was verified but against the CRLs of now.
   */
  revocationTime?: Date;
  /** what to do when no CRL is held for an issuer; default best-effort (revocation.ts) */
  revocation?: RevocationPolicy;
  /** default digitalSignature */
  leafKeyUsage?: 'digitalSignature' | 'none';
  /** OIDs the leaf's extKeyUsage must allow, if it has one (all of them) */
  requiredExtKeyUsage?: string[];
  /**
   * OIDs of which the leaf's extKeyUsage, if it has one, must hold at least one (or
   * anyExtendedKeyUsage); else KEY_USAGE rule `eku`. For document signers.
   */
  acceptedExtKeyUsage?: readonly string[];
  /**
   * most certificates in a path, leaf and anchor included, self-issued intermediates not
   * counted (as for pathLenConstraint, RFC 5280 §6.1.4(l)); default 8. From a count of
   * intermediate CAs as `openssl verify -verify_depth` takes it: `depthForIntermediates`.
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

/**
 * `maxDepth` for at most `n` intermediate CAs between the leaf and the anchor, the count
 * `openssl verify -verify_depth` and x509-limbo's `max_chain_depth` use (neither the leaf
 * nor the anchor counts).
 */
export function depthForIntermediates(n: number): number {
  return n + 2;
}

/** The CRLs given, decoded; those that do not decode are counted, never ignored. */
function decodeCrls(ders: Uint8Array[]): { crls: CrlNode[]; undecodable: number } {
  const crls: CrlNode[] = [];
  let undecodable = 0;
  for (const der of ders) {
    try {
      crls.push(toCrlNode(der));
    } catch {
      undecodable++;
    }
  }
  return { crls, undecodable };
}

/** The checklist of docs/design.md §6 steps 4–5 on one candidate path: every failure, in order. */
async function checkPath(
  path: CertNode[],
  input: PathValidationInput,
  revocation: RevocationContext,
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
    ...checkSignerExtendedKeyUsage(leaf, input.acceptedExtKeyUsage),
    ...checkValidity(path, input.time),
    ...(await checkRevocation(path, revocation)),
  ];
}

/**
 * Whether a certificate that signed a CRL in another key's name (a re-keyed CA) is
 * itself valid up to `anchors` at the CRL time, by the same rules, its own issuers'
 * revocation included (without a further re-key search: the recursion stops there).
 */
function rekeySignerValidator(
  pool: CertNode[],
  maxDepth: number,
  outer: RevocationContext,
): (node: CertNode, anchors: CertNode[]) => Promise<boolean> {
  return async (node, anchors) => {
    const search = await findPaths(node, pool, anchors, maxDepth, outer.budget);
    const nested: RevocationContext = { ...outer, anchors, validatesTo: undefined };
    const asIssuer: PathValidationInput = {
      leaf: new Uint8Array(),
      intermediates: [],
      anchors: [],
      time: outer.time,
      leafKeyUsage: 'none',
    };
    for (const path of search.paths) {
      if ((await checkPath(path, asIssuer, nested)).length === 0) return true;
    }
    return false;
  };
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
  const { crls, undecodable } = decodeCrls(input.crls ?? []);
  if (undecodable > 0) {
    // Its issuer cannot be known, so it may be the one for this path: fail closed.
    const f = failure('CRL_INVALID', 'crl.malformed', `${undecodable} CRL(s) given do not decode`);
    return { trusted: false, chain: [leaf.info], failures: [f] };
  }
  const maxDepth = input.maxDepth ?? DEFAULT_MAX_DEPTH;
  const budget = new SignatureBudget();
  const revocation: RevocationContext = {
    crls,
    time: input.revocationTime ?? input.time,
    policy: input.revocation ?? 'best-effort',
    candidates: [...pool, ...anchors],
    anchors,
    budget,
    verified: new WeakMap(),
  };
  revocation.validatesTo = rekeySignerValidator(pool, maxDepth, revocation);
  const search = await findPaths(leaf, pool, anchors, maxDepth, budget);
  let best: { path: CertNode[]; failures: PathFailure[] } | undefined;
  for (const path of search.paths) {
    const failures = await checkPath(path, input, revocation);
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

function noPathFailure(search: PathSearchResult, leaf: CertNode): PathFailure {
  if (search.budgetExceeded) {
    return failure('CHAIN_UNTRUSTED', 'pathBuilding', 'too many candidate issuers to try');
  }
  const weak = search.weakKeys[0];
  if (weak) {
    try {
      checkPublicKeyStrength(weak.key, weak === leaf ? 'leaf' : 'certificate');
    } catch (e) {
      return fromError(e, weak);
    }
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
 * The validation every import uses (docs/design.md §6 steps 4–5): the chain if trusted, else the
 * first failure of the best candidate path as a VmicError.
 */
export async function validatePath(input: PathValidationInput): Promise<ValidatedPath> {
  const result = await explainPath(input);
  const first = result.failures[0];
  if (first) throw toError(first);
  return { chain: result.chain };
}
