import * as asn1js from 'asn1js';
import { x509 } from './crypto-provider.ts';
import type { CryptoKey } from './crypto-provider.ts';
import { parseCertificate } from './certificates.ts';
import { PkiError } from './errors.ts';
import { signingAlgorithm } from './keys.ts';

const OID_CRL_NUMBER = '2.5.29.20';

export interface CreateCrlOptions {
  issuer: { certificate: Uint8Array; privateKey: CryptoKey };
  thisUpdate: Date;
  nextUpdate: Date;
  revoked: { serialNumber: string; revocationDate: Date }[];
  crlNumber?: number;
}

/** A v2 CRL (RFC 5280 §5) with authorityKeyIdentifier and cRLNumber, signed with SHA-256. */
export async function createCrl(opts: CreateCrlOptions): Promise<Uint8Array> {
  const issuer = parseCertificate(opts.issuer.certificate);
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  const extensions: x509.Extension[] = [
    ski !== undefined
      ? new x509.AuthorityKeyIdentifierExtension(ski)
      : await x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey),
    new x509.Extension(
      OID_CRL_NUMBER,
      false,
      new asn1js.Integer({ value: opts.crlNumber ?? 1 }).toBER(),
    ),
  ];
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuer.subjectName,
    thisUpdate: opts.thisUpdate,
    nextUpdate: opts.nextUpdate,
    entries: opts.revoked.map((r) => ({
      serialNumber: r.serialNumber,
      revocationDate: r.revocationDate,
    })),
    extensions,
    signingKey: opts.issuer.privateKey,
    signingAlgorithm: signingAlgorithm(opts.issuer.privateKey, 'SHA-256'),
  });
  return new Uint8Array(crl.rawData);
}

export function parseCrl(der: Uint8Array): x509.X509Crl {
  try {
    const crl = new x509.X509Crl(der);
    void crl.issuer;
    void crl.thisUpdate;
    return crl;
  } catch (cause) {
    throw new PkiError('MALFORMED', 'not a DER X.509 CRL', { cause });
  }
}
