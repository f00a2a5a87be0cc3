import { checkPublicKeyStrength, signatureAlgorithm } from './algorithms.ts';
import { x509 } from './crypto-provider.ts';
import { keyUsageNames } from './certificates.ts';
import { ANY_EKU_OID } from './extended-key-usage.ts';
import { issuedBy } from './path-building.ts';
import type { CertNode } from './path-building.ts';
import { failure, fromError } from './path-failure.ts';
import type { PathFailure } from './path-failure.ts';

/**
 * RFC 5280 §6.1 checks, one function per rule, each returning every failure it finds. A
 * path is `[leaf, ..., anchor]`; the anchor is trusted input, so its self-signature is not
 * checked, but everything it asserts as an issuer (CA flag, key usage, validity, key
 * strength, name constraints) is. Link signatures are verified while building the path
 * (path-building.ts), so no path reaches these rules with a bad signature.
 */

/** SHA-1/MD5 signatures are forgeable by collision (docs/design.md §3); small RSA keys by factoring. */
export function checkAlgorithms(path: CertNode[]): PathFailure[] {
  const out: PathFailure[] = [];
  path.forEach((node, i) => {
    const where = i === 0 ? 'leaf' : 'certificate';
    if (i < path.length - 1) {
      try {
        signatureAlgorithm(node.signatureOid, where);
      } catch (e) {
        out.push(fromError(e, node));
      }
      // RFC 5280 §4.1.1.2: the signed copy of the algorithm must equal the outer one.
      if (node.signatureOid !== node.tbsSignatureOid) {
        out.push(failure('MALFORMED', 'algorithm', 'signature algorithm fields differ', node));
      }
    }
    try {
      checkPublicKeyStrength(node.key, where);
    } catch (e) {
      out.push(fromError(e, node));
    }
  });
  return out;
}

export function checkNameChaining(path: CertNode[]): PathFailure[] {
  const out: PathFailure[] = [];
  for (let i = 0; i < path.length - 1; i++) {
    const child = path[i] as CertNode;
    if (!issuedBy(child, path[i + 1] as CertNode)) {
      out.push(failure('CHAIN_UNTRUSTED', 'nameChaining', 'issuer is not the next subject', child));
    }
  }
  return out;
}

/** RFC 5280 §6.1.4(k): every issuer, including the anchor, must assert cA=TRUE. */
export function checkBasicConstraints(path: CertNode[]): PathFailure[] {
  return path
    .slice(1)
    .filter((node) => !node.info.isCA)
    .map((node) =>
      failure('CHAIN_UNTRUSTED', 'basicConstraints.cA', 'is not a CA certificate', node),
    );
}

/**
 * RFC 5280 §4.2.1.9 and §6.1.4(l),(m): pathLenConstraint bounds the non-self-issued
 * intermediate CA certificates that may follow the CA in the path (the leaf is not
 * counted, nor are self-issued certificates such as a re-keyed CA).
 */
export function checkPathLength(path: CertNode[]): PathFailure[] {
  const out: PathFailure[] = [];
  for (let i = 1; i < path.length; i++) {
    const node = path[i] as CertNode;
    const limit = node.info.pathLength;
    if (limit === undefined) continue;
    const below = path.slice(1, i).filter((n) => !n.selfIssued).length;
    if (below > limit) {
      out.push(
        failure(
          'CHAIN_UNTRUSTED',
          'pathLenConstraint',
          `allows ${limit} intermediate CAs below it, path has ${below}`,
          node,
        ),
      );
    }
  }
  return out;
}

/**
 * RFC 5280 §6.1.4(n): *if* keyUsage is present on a CA, keyCertSign must be set. An
 * absent extension is accepted, as the path validation algorithm does and OpenSSL does:
 * cA=TRUE already says the key certifies, and rejecting would break older roots.
 */
export function checkIssuerKeyUsage(path: CertNode[]): PathFailure[] {
  return path
    .slice(1)
    .filter((node) => {
      const ku = keyUsageNames(node.cert);
      return ku !== undefined && !ku.includes('keyCertSign');
    })
    .map((node) => failure('KEY_USAGE', 'keyUsage.keyCertSign', 'lacks keyCertSign', node));
}

/**
 * RFC 5280 §4.2.1.3: keyCertSign asserted without cA=TRUE is contradictory; such a
 * certificate must not be used at all, also not as an end entity.
 */
export function checkKeyUsageConsistency(path: CertNode[]): PathFailure[] {
  return path
    .filter((node) => !node.info.isCA && (keyUsageNames(node.cert) ?? []).includes('keyCertSign'))
    .map((node) =>
      failure('KEY_USAGE', 'keyUsage.keyCertSign.cA', 'asserts keyCertSign without cA', node),
    );
}

/** Absent keyUsage on an end entity means "any usage" (RFC 5280 §4.2.1.3). */
export function checkLeafKeyUsage(
  leaf: CertNode,
  required: 'digitalSignature' | 'none',
): PathFailure[] {
  if (required === 'none') return [];
  const ku = keyUsageNames(leaf.cert);
  if (ku === undefined || ku.includes(required)) return [];
  return [failure('KEY_USAGE', `keyUsage.${required}`, `lacks ${required}`, leaf)];
}

/** An EKU extension restricts the leaf to its purposes (RFC 5280 §4.2.1.12); absent = any. */
export function checkExtendedKeyUsage(
  leaf: CertNode,
  required: string[] | undefined,
): PathFailure[] {
  if (required === undefined || required.length === 0) return [];
  const eku = leaf.cert.getExtension(x509.ExtendedKeyUsageExtension);
  if (eku === null) return [];
  const have = Array.from(eku.usages, String);
  if (have.includes(ANY_EKU_OID)) return [];
  const missing = required.filter((oid) => !have.includes(oid));
  if (missing.length === 0) return [];
  return [failure('KEY_USAGE', 'extKeyUsage', `lacks extKeyUsage ${missing.join(',')}`, leaf)];
}

/**
 * For document signers (catalogs, image lists, transfer manifests): an extKeyUsage, if
 * present, must hold anyExtendedKeyUsage or one of `accepted` (extended-key-usage.ts,
 * SIGNER_EKU_OIDS). Threat: a TLS-only certificate of the same CA signing a catalog.
 */
export function checkSignerExtendedKeyUsage(
  leaf: CertNode,
  accepted: readonly string[] | undefined,
): PathFailure[] {
  if (accepted === undefined) return [];
  const eku = leaf.cert.getExtension(x509.ExtendedKeyUsageExtension);
  if (eku === null) return [];
  const have = Array.from(eku.usages, String);
  if (have.includes(ANY_EKU_OID) || have.some((oid) => accepted.includes(oid))) return [];
  const message = `extKeyUsage ${have.join(',')} does not allow signing documents`;
  return [failure('KEY_USAGE', 'eku', message, leaf)];
}

/**
 * RFC 5280 §4.1.2.5: both bounds inclusive; checked on every certificate, anchor included.
 * Certificate times have whole seconds (§4.1.2.5.1, .2), so notAfter 00:00:00Z covers that
 * whole second: the reference time is compared at the same resolution.
 */
export function checkValidity(path: CertNode[], time: Date): PathFailure[] {
  const t = Math.floor(time.getTime() / 1000) * 1000;
  const out: PathFailure[] = [];
  for (const node of path) {
    if (t < node.info.notBefore.getTime()) {
      out.push(failure('CERT_NOT_YET_VALID', 'validity.notBefore', 'is not valid yet', node));
    }
    if (t > node.info.notAfter.getTime()) {
      out.push(failure('CERT_EXPIRED', 'validity.notAfter', 'has expired', node));
    }
  }
  return out;
}
