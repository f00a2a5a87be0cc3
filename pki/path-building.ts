import { pkijs, x509 } from './crypto-provider.ts';
import { describeParsed, nameToDn, parseCertificate } from './certificates.ts';
import type { CertificateInfo } from './certificates.ts';
import { dnEquals } from './dn.ts';
import { VmicError } from './errors.ts';
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
}

export function toNode(der: Uint8Array): CertNode {
  const cert = parseCertificate(der);
  let signatureOid: string;
  let tbsSignatureOid: string;
  try {
    const p = pkijs.Certificate.fromBER(der);
    signatureOid = p.signatureAlgorithm.algorithmId;
    tbsSignatureOid = p.signature.algorithmId;
  } catch (cause) {
    throw new VmicError('MALFORMED', 'certificate does not decode', { cause });
  }
  const spki = new Uint8Array(cert.publicKey.rawData);
  return {
    cert,
    info: describeParsed(cert, der),
    key: describeSpki(spki),
    signatureOid,
    tbsSignatureOid,
    spkiHex: Buffer.from(spki).toString('hex'),
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

/** Bounds the search so a bundle of many same-named certificates cannot cost unbounded work. */
const MAX_PATHS = 16;

export interface PathSearchResult {
  paths: CertNode[][];
  depthExceeded: boolean;
}

/**
 * Every path from `leaf` to an anchor through `pool`, trying each candidate issuer
 * (several certificates may share a subject after re-keying) and never revisiting a
 * certificate or a subject+key, which stops loops (cross-certified pairs).
 */
export function findPaths(
  leaf: CertNode,
  pool: CertNode[],
  anchors: CertNode[],
  maxDepth: number,
): PathSearchResult {
  const candidates = dedupe([...anchors, ...pool]);
  const result: PathSearchResult = { paths: [], depthExceeded: false };
  const walk = (path: CertNode[]): void => {
    if (result.paths.length >= MAX_PATHS) return;
    const current = path[path.length - 1] as CertNode;
    if (isAnchor(current, anchors)) {
      result.paths.push([...path]);
      return;
    }
    if (path.length >= maxDepth) {
      result.depthExceeded = true;
      return;
    }
    for (const next of candidates) {
      const visited = path.some(
        (p) =>
          p.info.fingerprintSha256 === next.info.fingerprintSha256 ||
          (p.spkiHex === next.spkiHex && sameName(p.cert.subjectName, next.cert.subjectName)),
      );
      if (visited || !issuedBy(current, next) || !keyIdsCompatible(current, next)) continue;
      walk([...path, next]);
    }
  };
  walk([leaf]);
  return result;
}
