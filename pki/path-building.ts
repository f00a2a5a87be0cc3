import { pkijs, x509 } from './crypto-provider.ts';
import { describeParsed, nameToDn, parseCertificate } from './certificates.ts';
import type { CertificateInfo } from './certificates.ts';
import { dnEquals } from './dn.ts';
import { PkiError } from './errors.ts';
import { checkPublicKeyStrength, signatureAlgorithm } from './algorithms.ts';
import { describeSpki } from './keys.ts';
import type { PublicKeyDescription } from './keys.ts';

/** A certificate decoded once into every view the rules need. */
export interface CertNode {
  cert: x509.X509Certificate;
  info: CertificateInfo;
  key: PublicKeyDescription;
  /** outer signatureAlgorithm OID and the TBS copy (RFC 5280 §4.1.1.2 requires equality) */
  signatureOid: string;
  tbsSignatureOid: string;
  spkiHex: string;
  /** the serialNumber INTEGER's content octets, sign included (RFC 5280 §4.1.2.2) */
  serial: Uint8Array;
  /** every extension as encoded, duplicates kept, for the profile rules */
  extensions: RawExtension[];
  /** subject equals issuer (RFC 5280 §6.1: self-issued) */
  selfIssued: boolean;
}

export interface RawExtension {
  oid: string;
  critical: boolean;
  value: Uint8Array;
}

export function toNode(der: Uint8Array): CertNode {
  const cert = parseCertificate(der);
  let p: pkijs.Certificate;
  try {
    p = pkijs.Certificate.fromBER(der);
  } catch (cause) {
    throw new PkiError('MALFORMED', 'certificate does not decode', { cause });
  }
  const spki = new Uint8Array(cert.publicKey.rawData);
  return {
    cert,
    info: describeParsed(cert, der),
    key: describeSpki(spki),
    signatureOid: p.signatureAlgorithm.algorithmId,
    tbsSignatureOid: p.signature.algorithmId,
    spkiHex: Buffer.from(spki).toString('hex'),
    serial: new Uint8Array(p.serialNumber.valueBlock.valueHexView),
    extensions: (p.extensions ?? []).map((e) => ({
      oid: e.extnID,
      critical: e.critical,
      value: new Uint8Array(e.extnValue.valueBlock.valueHexView),
    })),
    selfIssued: sameName(cert.subjectName, cert.issuerName),
  };
}

function sameName(a: x509.Name, b: x509.Name): boolean {
  if (Buffer.from(a.toArrayBuffer()).equals(Buffer.from(b.toArrayBuffer()))) return true;
  return dnEquals(nameToDn(a), nameToDn(b));
}

export function issuedBy(child: CertNode, parent: CertNode): boolean {
  return sameName(child.cert.issuerName, parent.cert.subjectName);
}

function keyIdsCompatible(child: CertNode, parent: CertNode): boolean {
  const aki = child.cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  const ski = parent.cert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  return aki === undefined || ski === undefined || aki.toLowerCase() === ski.toLowerCase();
}

/** Trusted by being listed: the same DER, or the same subject and public key as an anchor. */
export function isAnchor(node: CertNode, anchors: CertNode[]): boolean {
  return anchors.some(
    (a) =>
      a.info.fingerprintSha256 === node.info.fingerprintSha256 ||
      (a.spkiHex === node.spkiHex && sameName(a.cert.subjectName, node.cert.subjectName)),
  );
}

export function dedupe(nodes: CertNode[]): CertNode[] {
  const seen = new Set<string>();
  return nodes.filter(
    (n) => !seen.has(n.info.fingerprintSha256) && !!seen.add(n.info.fingerprintSha256),
  );
}

/**
 * Bounds the search so a bundle of many same-named certificates cannot cost unbounded
 * work (x509-limbo "pathological" chains, CVE-2024-0567-style cycles): at most this many
 * complete paths, candidate issuers examined, and certificates in any one path.
 */
const MAX_PATHS = 16;
const MAX_CANDIDATES_EXAMINED = 2048;
const MAX_PATH_CERTIFICATES = 32;

/**
 * Public-key operations one trust decision may spend (certificate links and CRL
 * signatures together), before anything in it is authenticated. An honest decision needs
 * a handful: a 3-certificate path with a CRL per issuer is 4. Threat: a signed catalog or
 * transfer manifest carrying hundreds of certificates with the issuer's name (and its
 * key identifier), each costing a verification. Past the cap the decision fails with
 * CHAIN_UNTRUSTED rule `pathBuilding`.
 */
export const MAX_SIGNATURE_VERIFICATIONS = 64;

/** The verification allowance of one decision, shared by path building and revocation. */
export class SignatureBudget {
  private used = 0;
  exhausted = false;

  constructor(private readonly limit = MAX_SIGNATURE_VERIFICATIONS) {}

  /** Takes one verification; false (and exhausted from then on) when none is left. */
  take(): boolean {
    if (this.used >= this.limit) {
      this.exhausted = true;
      return false;
    }
    this.used++;
    return true;
  }
}

/** True when `node`'s key is on the allow-list (algorithms.ts); never costs a verification. */
export function hasAllowedKey(node: CertNode): boolean {
  try {
    checkPublicKeyStrength(node.key, 'certificate');
    return true;
  } catch {
    return false;
  }
}

export interface PathSearchResult {
  /** each `[leaf, ..., anchor]`, every link's signature verified */
  paths: CertNode[][];
  depthExceeded: boolean;
  budgetExceeded: boolean;
  /** the longest chain built when no path reached an anchor, for explanations */
  longestPartial: CertNode[];
  /** certificates whose named issuer exists but whose signature did not verify */
  badSignatures: CertNode[];
  /**
   * certificates with a key below the allow-list met while building (the leaf, or a
   * candidate issuer): never used to verify anything, never followed
   */
  weakKeys: CertNode[];
}

/**
 * The depth that `maxDepth` bounds: certificates in the path, leaf and anchor included,
 * without self-issued intermediates (re-keyed CAs), as pathLenConstraint counts them
 * (RFC 5280 §6.1.4(l)).
 */
function depth(path: CertNode[]): number {
  return path.filter((n, i) => i === 0 || i === path.length - 1 || !n.selfIssued).length;
}

/**
 * RFC 5280 §6.1.3(a)(1) checks the signature on each link. It is done while building, so
 * a decoy with the issuer's name but another key is never followed (and cannot multiply
 * the paths to try). A signature algorithm outside the allow-list is followed unverified:
 * `checkAlgorithms` rejects that path with WEAK_ALGORITHM, the more useful answer.
 */
async function signedBy(child: CertNode, parent: CertNode): Promise<boolean> {
  try {
    signatureAlgorithm(child.signatureOid, 'certificate');
  } catch {
    return true;
  }
  try {
    return await child.cert.verify({ publicKey: parent.cert.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

/**
 * Every path from `leaf` to an anchor through `pool`, trying each candidate issuer
 * (several certificates may share a subject after re-keying) and never revisiting a
 * certificate or a subject+key, which stops loops (cross-certified pairs). A pool
 * certificate with an anchor's subject and key is the anchor and is not tried twice.
 */
export async function findPaths(
  leaf: CertNode,
  pool: CertNode[],
  anchors: CertNode[],
  maxDepth: number,
  budget: SignatureBudget = new SignatureBudget(),
): Promise<PathSearchResult> {
  const candidates = dedupe([...anchors, ...pool.filter((n) => !isAnchor(n, anchors))]);
  const result: PathSearchResult = {
    paths: [],
    depthExceeded: false,
    budgetExceeded: false,
    longestPartial: [leaf],
    badSignatures: [],
    weakKeys: [],
  };
  // A leaf with a key we refuse fails whatever its path: stop before any verification.
  if (!hasAllowedKey(leaf)) {
    result.weakKeys.push(leaf);
    return result;
  }
  const verified = new Map<string, boolean>();
  let examined = 0;
  const walk = async (path: CertNode[]): Promise<void> => {
    const current = path[path.length - 1] as CertNode;
    if (path.length > result.longestPartial.length) result.longestPartial = [...path];
    if (isAnchor(current, anchors)) {
      result.paths.push([...path]);
      return;
    }
    for (const next of candidates) {
      if (result.paths.length >= MAX_PATHS || result.budgetExceeded) return;
      const visited = path.some(
        (p) =>
          p.info.fingerprintSha256 === next.info.fingerprintSha256 ||
          (p.spkiHex === next.spkiHex && sameName(p.cert.subjectName, next.cert.subjectName)),
      );
      if (visited || !issuedBy(current, next) || !keyIdsCompatible(current, next)) continue;
      if (++examined > MAX_CANDIDATES_EXAMINED) {
        result.budgetExceeded = true;
        return;
      }
      const extended = [...path, next];
      if (depth(extended) > maxDepth || extended.length > MAX_PATH_CERTIFICATES) {
        result.depthExceeded = true;
        continue;
      }
      // Weak issuer keys are never used: the path would fail on them anyway, and an
      // oversized or odd key is the cheapest way to make a verification expensive.
      if (!hasAllowedKey(next)) {
        if (!result.weakKeys.includes(next)) result.weakKeys.push(next);
        continue;
      }
      const key = `${current.info.fingerprintSha256}/${next.info.fingerprintSha256}`;
      let ok = verified.get(key);
      if (ok === undefined) {
        if (!budget.take()) {
          result.budgetExceeded = true;
          return;
        }
        ok = await signedBy(current, next);
        verified.set(key, ok);
      }
      if (!ok) {
        if (!result.badSignatures.includes(current)) result.badSignatures.push(current);
        continue;
      }
      await walk(extended);
    }
  };
  await walk([leaf]);
  return result;
}
