import * as asn1js from 'asn1js';
import { nameToDn } from './certificates.ts';
import { formatDn } from './dn.ts';
import { crypto } from './crypto-provider.ts';
import { toCrlNode } from './crl-node.ts';

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
