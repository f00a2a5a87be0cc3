import { signatureAlgorithm } from './algorithms.ts';
import * as asn1js from 'asn1js';
import type { x509 } from './crypto-provider.ts';
import { keyUsageNames, nameToDn, normaliseSerial } from './certificates.ts';
import { parseCrl } from './crl.ts';
import { dnEquals } from './dn.ts';
import { VmicError } from './errors.ts';
import type { CertNode } from './path-building.ts';
import { failure } from './path-failure.ts';
import type { PathFailure } from './path-failure.ts';

export type RevocationPolicy = 'best-effort' | 'require';

export interface CrlNode {
  crl: x509.X509Crl;
  signatureOid: string;
  criticalExtensions: string[];
}

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
    };
  } catch (cause) {
    throw new VmicError('MALFORMED', 'CRL does not decode', { cause });
  }
}

/** cRLNumber and authorityKeyIdentifier are the only CRL extensions we understand. */
const OID_CRL_NUMBER = '2.5.29.20';
const PROCESSED_CRL_EXTENSIONS = new Set([OID_CRL_NUMBER, '2.5.29.35']);

/**
 * Why a CRL that names `issuer` cannot be used, or `undefined` if it can. Anyone can hand
 * us a CRL, so an unverifiable one must never be read as "not revoked":
 * - the issuer's key signed it with an allowed algorithm;
 * - the issuer may sign CRLs: keyUsage, if present, has cRLSign (RFC 5280 §4.2.1.3);
 * - it carries a non-critical cRLNumber (§5.2.3: conforming issuers MUST include it,
 *   and mark it non-critical), so it is a v2 CRL whose sequence can be followed;
 * - no critical extension we do not process (issuingDistributionPoint,
 *   deltaCRLIndicator): the CRL may cover only part of the scope (§5.2, §5.2.5).
 */
async function crlUnusableBecause(c: CrlNode, issuer: CertNode): Promise<string | undefined> {
  const ku = keyUsageNames(issuer.cert);
  if (ku !== undefined && !ku.includes('cRLSign')) return 'issuerKeyUsage';
  const number = c.crl.extensions.find((e) => e.type === OID_CRL_NUMBER);
  if (number === undefined || number.critical) return 'crlNumber';
  if (c.criticalExtensions.some((oid) => !PROCESSED_CRL_EXTENSIONS.has(oid))) {
    return 'criticalExtension';
  }
  try {
    signatureAlgorithm(c.signatureOid, 'CRL');
    return (await c.crl.verify({ publicKey: issuer.cert.publicKey })) ? undefined : 'signature';
  } catch {
    return 'signature';
  }
}

function namesIssuer(c: CrlNode, issuer: CertNode): boolean {
  return dnEquals(nameToDn(c.crl.issuerName), nameToDn(issuer.cert.subjectName));
}

function isRevokedBy(c: CrlNode, serial: string): boolean {
  return c.crl.entries.some((e) => normaliseSerial(e.serialNumber) === serial);
}

function isCurrent(c: CrlNode, time: Date): boolean {
  const next = c.crl.nextUpdate;
  return (
    c.crl.thisUpdate.getTime() <= time.getTime() &&
    next !== undefined &&
    time.getTime() <= next.getTime()
  );
}

/**
 * RFC 5280 §6.3, simplified to full CRLs from the certificate's issuer. The anchor is
 * trusted by configuration, so only certificates below it are checked. Under `require`,
 * a certificate without a usable, current CRL fails, naming why the CRLs offered for
 * its issuer were not usable.
 */
export async function checkRevocation(
  path: CertNode[],
  crls: CrlNode[],
  time: Date,
  policy: RevocationPolicy,
): Promise<PathFailure[]> {
  const out: PathFailure[] = [];
  for (let i = 0; i < path.length - 1; i++) {
    const subject = path[i] as CertNode;
    const issuer = path[i + 1] as CertNode;
    const usable: CrlNode[] = [];
    const rejected: string[] = [];
    for (const c of crls.filter((x) => namesIssuer(x, issuer))) {
      const why = await crlUnusableBecause(c, issuer);
      if (why === undefined) usable.push(c);
      else rejected.push(why);
    }
    if (usable.some((c) => isRevokedBy(c, subject.info.serialNumber))) {
      out.push(failure('CERT_REVOKED', 'crl.revoked', 'is revoked', subject));
      continue;
    }
    if (usable.some((c) => isCurrent(c, time))) continue;
    const stale = usable.some((c) => (c.crl.nextUpdate?.getTime() ?? 0) < time.getTime());
    if (stale) {
      out.push(
        failure(
          'CRL_STALE',
          'crl.stale',
          `CRL of ${issuer.info.subject} is past nextUpdate`,
          subject,
        ),
      );
    } else if (policy === 'require') {
      const why = rejected.length > 0 ? ` (unusable CRLs: ${rejected.join(', ')})` : '';
      const message = `no usable current CRL from ${issuer.info.subject}${why}`;
      out.push(failure('CRL_STALE', 'crl.missing', message, subject));
    }
  }
  return out;
}
