import { signatureAlgorithm } from './algorithms.ts';
import * as asn1js from 'asn1js';
import type { x509 } from './crypto-provider.ts';
import { keyUsageNames, nameToDn, normaliseSerial } from './certificates.ts';
import { parseCrl } from './crl.ts';
import { dnEquals } from './dn.ts';
import { VmicError } from './errors.ts';
import type { CertNode } from './path-building.ts';

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
const PROCESSED_CRL_EXTENSIONS = new Set(['2.5.29.20', '2.5.29.35']);

/**
 * A CRL counts only if its issuer's key signed it with an allowed algorithm and the
 * issuer may sign CRLs. Anyone can hand us a CRL, so an unverifiable one must never be
 * read as "not revoked". A critical extension we do not process (issuingDistributionPoint,
 * deltaCRLIndicator) means the CRL may cover only part of the scope: unusable too
 * (RFC 5280 §5.2).
 */
async function crlUsableFor(c: CrlNode, issuer: CertNode): Promise<boolean> {
  if (!dnEquals(nameToDn(c.crl.issuerName), nameToDn(issuer.cert.subjectName))) return false;
  const ku = keyUsageNames(issuer.cert);
  if (ku !== undefined && !ku.includes('cRLSign')) return false;
  if (c.criticalExtensions.some((oid) => !PROCESSED_CRL_EXTENSIONS.has(oid))) return false;
  try {
    signatureAlgorithm(c.signatureOid, 'CRL');
    return await c.crl.verify({ publicKey: issuer.cert.publicKey });
  } catch {
    return false;
  }
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
 * trusted by configuration, so only certificates below it are checked.
 */
export async function checkRevocation(
  path: CertNode[],
  crls: CrlNode[],
  time: Date,
  policy: RevocationPolicy,
): Promise<void> {
  for (let i = 0; i < path.length - 1; i++) {
    const subject = path[i] as CertNode;
    const issuer = path[i + 1] as CertNode;
    const usable: CrlNode[] = [];
    for (const c of crls) if (await crlUsableFor(c, issuer)) usable.push(c);
    if (usable.some((c) => isRevokedBy(c, subject.info.serialNumber))) {
      throw new VmicError('CERT_REVOKED', `${subject.info.subject} is revoked`, {
        rule: 'crl.revoked',
      });
    }
    if (usable.some((c) => isCurrent(c, time))) continue;
    const stale = usable.some((c) => (c.crl.nextUpdate?.getTime() ?? 0) < time.getTime());
    if (stale) {
      throw new VmicError('CRL_STALE', `CRL of ${issuer.info.subject} is past nextUpdate`, {
        rule: 'crl.stale',
      });
    }
    if (policy === 'require') {
      throw new VmicError('CRL_STALE', `no current CRL from ${issuer.info.subject}`, {
        rule: 'crl.missing',
      });
    }
  }
}
