import { checkPublicKeyStrength, signatureAlgorithm } from './algorithms.ts';
import { x509 } from './crypto-provider.ts';
import { keyUsageNames } from './certificates.ts';
import { VmicError } from './errors.ts';
import { issuedBy } from './path-building.ts';
import type { CertNode } from './path-building.ts';

/**
 * RFC 5280 §6.1 checks, one function per rule. A path is `[leaf, ..., anchor]`; the
 * anchor is trusted input, so its self-signature is not checked, but everything it
 * asserts as an issuer (CA flag, key usage, validity, key strength) is.
 */

function chainError(rule: string, message: string): VmicError {
  return new VmicError('CHAIN_UNTRUSTED', message, { rule });
}

/** SHA-1/MD5 signatures are forgeable by collision (DESIGN §3); small RSA keys by factoring. */
export function checkAlgorithms(path: CertNode[]): void {
  path.forEach((node, i) => {
    const where = `certificate ${node.info.subject}`;
    if (i < path.length - 1) {
      signatureAlgorithm(node.signatureOid, where);
      if (node.signatureOid !== node.tbsSignatureOid) {
        throw new VmicError('MALFORMED', `${where}: signature algorithm fields differ`, {
          rule: 'algorithm',
        });
      }
    }
    checkPublicKeyStrength(node.key, where);
  });
}

export function checkNameChaining(path: CertNode[]): void {
  for (let i = 0; i < path.length - 1; i++) {
    if (!issuedBy(path[i] as CertNode, path[i + 1] as CertNode)) {
      throw chainError(
        'nameChaining',
        `issuer of ${path[i]?.info.subject} is not the next subject`,
      );
    }
  }
}

export async function checkSignatures(path: CertNode[]): Promise<void> {
  for (let i = 0; i < path.length - 1; i++) {
    const child = path[i] as CertNode;
    const parent = path[i + 1] as CertNode;
    let ok = false;
    try {
      ok = await child.cert.verify({ publicKey: parent.cert.publicKey, signatureOnly: true });
    } catch {
      ok = false;
    }
    if (!ok) throw chainError('signature', `signature on ${child.info.subject} does not verify`);
  }
}

/**
 * Extensions we understand; an unknown critical extension means a constraint we would
 * silently ignore (e.g. nameConstraints, policyConstraints), so RFC 5280 §4.2 says reject.
 */
const PROCESSED_EXTENSIONS = new Set([
  '2.5.29.19', // basicConstraints
  '2.5.29.15', // keyUsage
  '2.5.29.37', // extKeyUsage
  '2.5.29.14', // subjectKeyIdentifier
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.17', // subjectAltName (informational for us)
]);

export function checkCriticalExtensions(path: CertNode[]): void {
  for (const node of path) {
    const unknown = node.cert.extensions.find(
      (e) => e.critical && !PROCESSED_EXTENSIONS.has(e.type),
    );
    if (unknown) {
      throw chainError(
        'criticalExtension',
        `${node.info.subject}: unknown critical ${unknown.type}`,
      );
    }
  }
}

/** RFC 5280 §6.1.4(k): every issuer, including the anchor, must assert cA=TRUE. */
export function checkBasicConstraints(path: CertNode[]): void {
  for (const node of path.slice(1)) {
    if (!node.info.isCA) {
      throw chainError('basicConstraints.cA', `${node.info.subject} is not a CA certificate`);
    }
  }
}

function selfIssued(node: CertNode): boolean {
  return issuedBy(node, node);
}

/**
 * RFC 5280 §4.2.1.9: pathLenConstraint bounds the non-self-issued intermediate CA
 * certificates that may follow the CA in the path (the leaf is not counted).
 */
export function checkPathLength(path: CertNode[]): void {
  for (let i = 1; i < path.length; i++) {
    const limit = (path[i] as CertNode).info.pathLength;
    if (limit === undefined) continue;
    const below = path.slice(1, i).filter((n) => !selfIssued(n)).length;
    if (below > limit) {
      throw chainError(
        'pathLenConstraint',
        `${path[i]?.info.subject} allows ${limit} intermediate CAs below it, path has ${below}`,
      );
    }
  }
}

/**
 * RFC 5280 §6.1.4(n): *if* keyUsage is present on a CA, keyCertSign must be set. An
 * absent extension is accepted, as the path validation algorithm does and OpenSSL does:
 * cA=TRUE already says the key certifies, and rejecting would break older roots.
 */
export function checkIssuerKeyUsage(path: CertNode[]): void {
  for (const node of path.slice(1)) {
    const ku = keyUsageNames(node.cert);
    if (ku !== undefined && !ku.includes('keyCertSign')) {
      throw new VmicError('KEY_USAGE', `${node.info.subject} lacks keyCertSign`, {
        rule: 'keyUsage.keyCertSign',
      });
    }
  }
}

/** Absent keyUsage on an end entity means "any usage" (RFC 5280 §4.2.1.3). */
export function checkLeafKeyUsage(leaf: CertNode, required: 'digitalSignature' | 'none'): void {
  if (required === 'none') return;
  const ku = keyUsageNames(leaf.cert);
  if (ku !== undefined && !ku.includes(required)) {
    throw new VmicError('KEY_USAGE', `${leaf.info.subject} lacks ${required}`, {
      rule: `keyUsage.${required}`,
    });
  }
}

const ANY_EKU = '2.5.29.37.0';

/** An EKU extension restricts the leaf to its purposes (RFC 5280 §4.2.1.12); absent = any. */
export function checkExtendedKeyUsage(leaf: CertNode, required: string[] | undefined): void {
  if (required === undefined || required.length === 0) return;
  const eku = leaf.cert.getExtension(x509.ExtendedKeyUsageExtension);
  if (eku === null) return;
  const have = Array.from(eku.usages, String);
  if (have.includes(ANY_EKU)) return;
  const missing = required.filter((oid) => !have.includes(oid));
  if (missing.length > 0) {
    throw new VmicError(
      'KEY_USAGE',
      `${leaf.info.subject} lacks extKeyUsage ${missing.join(',')}`,
      {
        rule: 'extKeyUsage',
      },
    );
  }
}

/** RFC 5280 §4.1.2.5: both bounds inclusive; checked on every certificate, anchor included. */
export function checkValidity(path: CertNode[], time: Date): void {
  for (const node of path) {
    if (time.getTime() < node.info.notBefore.getTime()) {
      throw new VmicError('CERT_NOT_YET_VALID', `${node.info.subject} is not valid yet`, {
        rule: 'validity.notBefore',
      });
    }
    if (time.getTime() > node.info.notAfter.getTime()) {
      throw new VmicError('CERT_EXPIRED', `${node.info.subject} has expired`, {
        rule: 'validity.notAfter',
      });
    }
  }
}
