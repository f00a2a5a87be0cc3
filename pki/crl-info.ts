import * as asn1js from 'asn1js';
import { nameToDn } from './certificates.ts';
import { formatDn } from './dn.ts';
import { crypto, x509 } from './crypto-provider.ts';
import { toCrlNode } from './revocation.ts';
import { signatureAlgorithm } from './algorithms.ts';
import { VmicError } from './errors.ts';

export interface CrlInfo {
  der: Uint8Array;
  issuer: string;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  crlNumber: string | undefined;
  revokedSerials: string[];
  fingerprintSha256: string;
}

/** Reads a CRL's issuer and dates for display and storage; MALFORMED if it does not decode. */
export async function describeCrl(der: Uint8Array): Promise<CrlInfo> {
  const node = toCrlNode(der);
  const crl = node.crl;
  // cRLNumber (RFC 5280 §5.2.3) is an INTEGER; shown as hex, like serial numbers.
  const numberExt = crl.extensions.find((e) => e.type === '2.5.29.20');
  const number = numberExt
    ? Buffer.from(
        (asn1js.fromBER(numberExt.value).result as asn1js.Integer).valueBlock.valueHexView,
      ).toString('hex')
    : undefined;
  const digest = await crypto.subtle.digest('SHA-256', der);
  return {
    der,
    issuer: formatDn(nameToDn(crl.issuerName)),
    thisUpdate: crl.thisUpdate,
    nextUpdate: crl.nextUpdate,
    crlNumber: number,
    revokedSerials: crl.entries.map((e) => e.serialNumber.toLowerCase()),
    fingerprintSha256: Buffer.from(digest).toString('hex'),
  };
}

/**
 * True when `issuerDer`'s key signed the CRL with an allowed algorithm. Threat: a CRL that
 * anyone could have written (e.g. an empty one) replacing the issuer's real list.
 */
export async function crlSignedBy(crlDer: Uint8Array, issuerDer: Uint8Array): Promise<boolean> {
  const node = toCrlNode(crlDer);
  const issuer = new x509.X509Certificate(issuerDer);
  try {
    signatureAlgorithm(node.signatureOid, 'CRL');
  } catch (e) {
    if (e instanceof VmicError) return false;
    throw e;
  }
  try {
    return await node.crl.verify({ publicKey: issuer.publicKey });
  } catch {
    return false;
  }
}
