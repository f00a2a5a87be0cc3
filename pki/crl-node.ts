import * as asn1js from 'asn1js';
import { signatureAlgorithm } from './algorithms.ts';
import { keyUsageNames, nameToDn, normaliseSerial } from './certificates.ts';
import type { x509 } from './crypto-provider.ts';
import { parseCrl } from './crl.ts';
import { dnEquals } from './dn.ts';
import { PkiError } from './errors.ts';
import type { CertNode } from './path-building.ts';

/** A CRL decoded once into every view the revocation rules need. */
export interface CrlNode {
  crl: x509.X509Crl;
  signatureOid: string;
  criticalExtensions: string[];
  /** normalised hex serials it lists */
  serials: Set<string>;
}

/**
 * Why a CRL cannot be used to say "not revoked" (the rule names of `CRL_INVALID`, as
 * `crl.<reason>`):
 * - `signature`: no key of its issuer signed it (anyone can write a CRL);
 * - `algorithm`: signed with an algorithm outside the allow-list (SHA-1: forgeable);
 * - `issuerKeyUsage`: the signing CA certificate has keyUsage without cRLSign
 *   (RFC 5280 §4.2.1.3, §6.3.3(f));
 * - `crlNumber`: no cRLNumber, or a critical one (§5.2.3: conforming CAs MUST include it,
 *   non-critical), so it is not a v2 CRL whose sequence can be followed;
 * - `criticalExtension`: a critical extension we do not process (issuingDistributionPoint,
 *   deltaCRLIndicator): it may cover only part of the issuer's certificates (§5.2, §5.2.5);
 * - `notYetValid`: thisUpdate after the time it is judged at.
 */
export type CrlDefect =
  'signature' | 'algorithm' | 'issuerKeyUsage' | 'crlNumber' | 'criticalExtension' | 'notYetValid';

/** CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue } (RFC 5280 §5.1). */
function outerSignatureOid(der: Uint8Array): string {
  const top = asn1js.fromBER(der).result as asn1js.Sequence;
  const algId = top.valueBlock.value[1] as asn1js.Sequence;
  const oid = algId.valueBlock.value[0];
  if (!(oid instanceof asn1js.ObjectIdentifier)) throw new Error('no signature algorithm');
  return oid.valueBlock.toString();
}

export function toCrlNode(der: Uint8Array): CrlNode {
  const crl = parseCrl(der);
  try {
    return {
      crl,
      signatureOid: outerSignatureOid(der),
      criticalExtensions: crl.extensions.filter((e) => e.critical).map((e) => e.type),
      serials: new Set(crl.entries.map((e) => normaliseSerial(e.serialNumber))),
    };
  } catch (cause) {
    throw new PkiError('MALFORMED', 'CRL does not decode', { cause });
  }
}

export const OID_CRL_NUMBER = '2.5.29.20';
/** cRLNumber and authorityKeyIdentifier are the only CRL extensions we understand. */
const PROCESSED_CRL_EXTENSIONS = new Set([OID_CRL_NUMBER, '2.5.29.35']);

export function crlNamesIssuer(c: CrlNode, issuer: CertNode): boolean {
  return dnEquals(nameToDn(c.crl.issuerName), nameToDn(issuer.cert.subjectName));
}

export function crlLists(c: CrlNode, serial: string): boolean {
  return c.serials.has(normaliseSerial(serial));
}

/**
 * True when `signer`'s key verifies the CRL's signature, whatever the algorithm: a
 * weak algorithm is a defect of its own (`algorithm`), but a revocation the issuer's key
 * verifiably signed is still the issuer's word.
 */
export async function crlVerifiesWith(c: CrlNode, signer: CertNode): Promise<boolean> {
  try {
    return await c.crl.verify({ publicKey: signer.cert.publicKey });
  } catch {
    return false;
  }
}

/**
 * Every reason, other than its signature, why a CRL signed by `signer` cannot say "not
 * revoked" at `time`, in a fixed order (the first is the one reported).
 */
export function crlDefects(c: CrlNode, signer: CertNode, time: Date): CrlDefect[] {
  const out: CrlDefect[] = [];
  try {
    signatureAlgorithm(c.signatureOid, 'CRL');
  } catch {
    out.push('algorithm');
  }
  const ku = keyUsageNames(signer.cert);
  if (ku !== undefined && !ku.includes('cRLSign')) out.push('issuerKeyUsage');
  const number = c.crl.extensions.find((e) => e.type === OID_CRL_NUMBER);
  if (number === undefined || number.critical) out.push('crlNumber');
  if (c.criticalExtensions.some((oid) => !PROCESSED_CRL_EXTENSIONS.has(oid))) {
    out.push('criticalExtension');
  }
  if (c.crl.thisUpdate.getTime() > time.getTime()) out.push('notYetValid');
  return out;
}

/** A sentence a site operator can act on, for each defect. */
export const CRL_DEFECT_TEXT: Record<CrlDefect, string> = {
  signature: 'its signature does not verify with any CA certificate of that name held',
  algorithm: 'it is signed with an algorithm that is not allowed (e.g. SHA-1)',
  issuerKeyUsage: 'the CA certificate that signed it has keyUsage without cRLSign',
  crlNumber:
    'it has no cRLNumber extension, or a critical one (RFC 5280 §5.2.3; with `openssl ca`, ' +
    'create the crlnumber file, e.g. `echo 01 > crlnumber`)',
  criticalExtension: 'it has a critical extension vmic does not process (e.g. a partial CRL)',
  notYetValid: 'its thisUpdate is in the future (check the clocks)',
};

export function isCurrent(c: CrlNode, time: Date): boolean {
  const next = c.crl.nextUpdate;
  return (
    c.crl.thisUpdate.getTime() <= time.getTime() &&
    next !== undefined &&
    time.getTime() <= next.getTime()
  );
}
