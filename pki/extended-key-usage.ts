import { PkiError } from './errors.ts';

/**
 * The extended key usage purposes (RFC 5280 §4.2.1.12) by the names OpenSSL, x509-limbo
 * and most tools use. One table for the whole code base: certificate issuance, the
 * `--eku` option of `vmic pki verify`, the corpus test and the signer rule below.
 */
export const EKU_OIDS = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  OCSPSigning: '1.3.6.1.5.5.7.3.9',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;

export type EkuName = keyof typeof EKU_OIDS;

export const ANY_EKU_OID = EKU_OIDS.anyExtendedKeyUsage;

/** A purpose given by name (`serverAuth`) or dotted OID; MALFORMED for anything else. */
export function ekuOid(nameOrOid: string): string {
  const known = (EKU_OIDS as Record<string, string>)[nameOrOid];
  if (known !== undefined) return known;
  if (/^\d+(\.\d+)+$/.test(nameOrOid)) return nameOrOid;
  throw new PkiError(
    'MALFORMED',
    `unknown extended key usage ${nameOrOid}: expected an OID or one of ${Object.keys(EKU_OIDS).join(', ')}`,
  );
}

/**
 * The purposes a certificate that signs catalogs, HEPiX image lists or migration
 * manifests may carry, if it carries an extKeyUsage at all (docs/design.md §6 step 5): those are
 * signed documents, so code signing or S/MIME (emailProtection, as `openssl smime`
 * signers have) fit. Threat: a TLS server certificate from the same CA (serverAuth only),
 * whose key sits on a web server, being used to publish a catalog.
 */
export const SIGNER_EKU_OIDS: readonly string[] = [EKU_OIDS.codeSigning, EKU_OIDS.emailProtection];
