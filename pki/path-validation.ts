import type { CertificateInfo } from './certificates.ts';
import { VmicError } from './errors.ts';
import { findPaths, toNode } from './path-building.ts';
import type { CertNode } from './path-building.ts';
import {
  checkAlgorithms,
  checkBasicConstraints,
  checkCriticalExtensions,
  checkExtendedKeyUsage,
  checkIssuerKeyUsage,
  checkLeafKeyUsage,
  checkNameChaining,
  checkPathLength,
  checkSignatures,
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
  /** most certificates in a path, leaf and anchor included; default 8 */
  maxDepth?: number;
}

export interface ValidatedPath {
  /** leaf first, anchor last */
  chain: CertificateInfo[];
}

const DEFAULT_MAX_DEPTH = 8;

/** An undecodable CRL is treated like an unverifiable one: never evidence of "not revoked". */
function usableCrlOrNothing(der: Uint8Array): CrlNode[] {
  try {
    return [toCrlNode(der)];
  } catch {
    return [];
  }
}

/** The checklist of DESIGN §6 steps 4–5 on one candidate path; throws the first failure. */
async function checkPath(
  path: CertNode[],
  crls: CrlNode[],
  input: PathValidationInput,
): Promise<void> {
  const leaf = path[0] as CertNode;
  checkAlgorithms(path);
  checkNameChaining(path);
  await checkSignatures(path);
  checkCriticalExtensions(path);
  checkBasicConstraints(path);
  checkPathLength(path);
  checkIssuerKeyUsage(path);
  checkLeafKeyUsage(leaf, input.leafKeyUsage ?? 'digitalSignature');
  checkExtendedKeyUsage(leaf, input.requiredExtKeyUsage);
  checkValidity(path, input.time);
  await checkRevocation(path, crls, input.time, input.revocation ?? 'best-effort');
}

/**
 * Builds every candidate path from the leaf to a listed anchor and returns the first
 * that passes all rules. If none passes, the first path's failure is reported, so the
 * error names a concrete rule rather than "no path".
 */
export async function validatePath(input: PathValidationInput): Promise<ValidatedPath> {
  const leaf = toNode(input.leaf);
  const pool = input.intermediates.map(toNode);
  const anchors = input.anchors.map(toNode);
  if (anchors.length === 0) {
    throw new VmicError('CHAIN_UNTRUSTED', 'no trust anchors configured', { rule: 'trustAnchor' });
  }
  const crls = (input.crls ?? []).flatMap(usableCrlOrNothing);
  const { paths, depthExceeded } = findPaths(
    leaf,
    pool,
    anchors,
    input.maxDepth ?? DEFAULT_MAX_DEPTH,
  );
  if (paths.length === 0) {
    throw depthExceeded
      ? new VmicError('CHAIN_UNTRUSTED', 'no path to an anchor within maxDepth', {
          rule: 'maxDepth',
        })
      : new VmicError('CHAIN_UNTRUSTED', `no path from ${leaf.info.subject} to a trust anchor`, {
          rule: 'trustAnchor',
        });
  }
  let firstError: unknown;
  for (const path of paths) {
    try {
      await checkPath(path, crls, input);
      return { chain: path.map((n) => n.info) };
    } catch (e) {
      firstError ??= e;
    }
  }
  throw firstError;
}
