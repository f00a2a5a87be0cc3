import { PkiError } from './errors.ts';
import type { HashName, PublicKeyDescription } from './keys.ts';

/**
 * Allow-list of signature algorithms (RFC 4055 / RFC 5758 OIDs). Anything else, and
 * in particular SHA-1 and MD5 (collision attacks: SHAttered, Flame), is rejected
 * everywhere: certificates, CRLs and CMS (docs/design.md §3).
 */
const SIGNATURE_ALGORITHMS: Record<string, { key: 'RSA' | 'EC'; hash: HashName }> = {
  '1.2.840.113549.1.1.11': { key: 'RSA', hash: 'SHA-256' },
  '1.2.840.113549.1.1.12': { key: 'RSA', hash: 'SHA-384' },
  '1.2.840.113549.1.1.13': { key: 'RSA', hash: 'SHA-512' },
  '1.2.840.10045.4.3.2': { key: 'EC', hash: 'SHA-256' },
  '1.2.840.10045.4.3.3': { key: 'EC', hash: 'SHA-384' },
  '1.2.840.10045.4.3.4': { key: 'EC', hash: 'SHA-512' },
};

const DIGEST_ALGORITHMS: Record<string, HashName> = {
  '2.16.840.1.101.3.4.2.1': 'SHA-256',
  '2.16.840.1.101.3.4.2.2': 'SHA-384',
  '2.16.840.1.101.3.4.2.3': 'SHA-512',
};

export const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

/** Known-broken algorithms, named so error messages say why. */
const WEAK_NAMES: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10040.4.3': 'dsa-with-sha1',
  '1.3.14.3.2.26': 'SHA-1',
  '1.2.840.113549.2.5': 'MD5',
};

function weak(oid: string, where: string): PkiError {
  const name = WEAK_NAMES[oid] ?? oid;
  return new PkiError('WEAK_ALGORITHM', `${where}: algorithm ${name} is not allowed`, {
    rule: 'algorithm',
  });
}

export function signatureAlgorithm(
  oid: string,
  where: string,
): { key: 'RSA' | 'EC'; hash: HashName } {
  const alg = SIGNATURE_ALGORITHMS[oid];
  if (alg === undefined) throw weak(oid, where);
  return alg;
}

export function digestAlgorithm(oid: string, where: string): HashName {
  const hash = DIGEST_ALGORITHMS[oid];
  if (hash === undefined) throw weak(oid, where);
  return hash;
}

export const MIN_RSA_BITS = 2048;
const ALLOWED_CURVES = ['P-256', 'P-384', 'P-521'];

/** RSA below 2048 bits is factorable within reach (NIST SP 800-131A); EC only on NIST curves. */
export function checkPublicKeyStrength(key: PublicKeyDescription, where: string): void {
  if (key.kind === 'RSA' && (key.bits ?? 0) >= MIN_RSA_BITS) return;
  if (key.kind === 'EC' && ALLOWED_CURVES.includes(key.curve ?? '')) return;
  throw new PkiError('WEAK_ALGORITHM', `${where}: public key ${key.name} is not allowed`, {
    rule: key.kind === 'RSA' ? 'rsaKeySize' : 'algorithm',
  });
}

/** node:crypto digest names for a WebCrypto hash name. */
export function nodeHashName(hash: HashName): string {
  return hash.replace('-', '').toLowerCase();
}
