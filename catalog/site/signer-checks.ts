import crypto from 'node:crypto';
import { VmicError } from '../../pki/errors.ts';
import {
  dnEquals,
  SIGNER_EKU_OIDS,
  validatePath,
  type CertificateInfo,
  type RevocationPolicy,
  type SignedContent,
} from '../../pki/index.ts';
import type { TrustMaterial } from './trust-store.ts';

/** A catalog issued this far in the future is refused: clocks differ, but not by hours. */
export const ISSUED_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * docs/design.md §6 steps 4–5 for any signed document (catalog, image list, transfer
 * manifest): a path from the signer to one of our anchors at the reference time, then
 * revocation. Certificates carried in the signature are only path candidates; trust
 * comes from the anchors alone. The signer's extKeyUsage, if any, must allow signing
 * documents (SIGNER_EKU_OIDS: codeSigning, emailProtection, or anyExtendedKeyUsage);
 * a TLS-only certificate is refused with KEY_USAGE rule `eku`.
 */
export async function trustedSignerChain(
  signed: SignedContent,
  trust: TrustMaterial,
  time: Date,
  revocation: RevocationPolicy,
): Promise<CertificateInfo[]> {
  const signerDer = Buffer.from(signed.signer.der);
  const { chain } = await validatePath({
    leaf: signed.signer.der,
    intermediates: [
      ...signed.certificates.filter((der) => !Buffer.from(der).equals(signerDer)),
      ...trust.intermediates,
    ],
    anchors: trust.anchors,
    crls: trust.crls,
    time,
    revocation,
    leafKeyUsage: 'digitalSignature',
    acceptedExtKeyUsage: SIGNER_EKU_OIDS,
  });
  return chain;
}

/** The issuing CA of a validated signer, as a subscription pins it on first use. */
export interface IssuerPin {
  subject: string;
  /** `sha256:HEX` of the issuing CA certificate's SubjectPublicKeyInfo. */
  key: string;
}

/**
 * The CA that issued the signer, from the validated chain (leaf first): its subject and
 * the hash of its public key. The key itself, not the subject or authority key identifier,
 * is what a second CA cannot copy: both of those are names its maker chooses freely.
 */
export function issuerPinOf(chain: readonly CertificateInfo[]): IssuerPin {
  const issuer = chain[1] ?? chain[0];
  if (!issuer) throw new VmicError('CHAIN_UNTRUSTED', 'no validated chain to pin an issuer from');
  const spki = new crypto.X509Certificate(Buffer.from(issuer.der)).publicKey.export({
    type: 'spki',
    format: 'der',
  });
  return {
    subject: issuer.subject,
    key: `sha256:${crypto.createHash('sha256').update(spki).digest('hex')}`,
  };
}

/**
 * Step 6: the signer is the endorser this site subscribed to (threat: a valid certificate
 * of another endorser under the same CA publishing in its name), issued by the CA key
 * pinned on first use when there is one (threat: another trusted CA with the same subject
 * DN issuing a certificate with the endorser's subject). `chain` is the validated path.
 */
export function checkPinnedSigner(
  signer: CertificateInfo,
  pin: { subject: string; issuer?: string | undefined; issuerKey?: string | undefined },
  chain: readonly CertificateInfo[] = [],
): void {
  if (!dnEquals(signer.subject, pin.subject)) {
    throw new VmicError(
      'SUBJECT_MISMATCH',
      `signed by ${signer.subject}, expected ${pin.subject}`,
      {
        rule: 'pin.subject',
      },
    );
  }
  if (pin.issuer !== undefined && !dnEquals(signer.issuer, pin.issuer)) {
    throw new VmicError(
      'SUBJECT_MISMATCH',
      `signer issued by ${signer.issuer}, expected ${pin.issuer}`,
      { rule: 'pin.issuer' },
    );
  }
  if (pin.issuerKey !== undefined) {
    const issuer = issuerPinOf(chain);
    if (issuer.key !== pin.issuerKey)
      throw new VmicError(
        'SUBJECT_MISMATCH',
        `signer issued by a CA named ${issuer.subject} whose key (${issuer.key}) is not the pinned one (${pin.issuerKey}): another CA with the same name`,
        { rule: 'pin.issuerKey' },
      );
  }
}

/**
 * Issue date not in the future, then step 8, freshness (threat: a frozen feed replaying a
 * valid but stale catalog): not expired, and not older than the site's max-catalog-age.
 * `rules` names the document's own properties in the errors.
 */
export function checkFreshness(
  doc: { issued: Date; expires: Date },
  at: { time: Date; maxAgeSeconds?: number | undefined },
  rules: { what: string; issued: string; expires: string },
): void {
  const now = at.time.getTime();
  if (doc.issued.getTime() > now + ISSUED_CLOCK_SKEW_MS) {
    throw new VmicError(
      'MALFORMED',
      `${rules.what} claims to be issued in the future (${doc.issued.toISOString()})`,
      { rule: rules.issued },
    );
  }
  if (doc.expires.getTime() <= now) {
    throw new VmicError(
      'CATALOG_EXPIRED',
      `${rules.what} expired at ${doc.expires.toISOString()}`,
      {
        rule: rules.expires,
      },
    );
  }
  if (at.maxAgeSeconds !== undefined && now - doc.issued.getTime() > at.maxAgeSeconds * 1000) {
    throw new VmicError(
      'CATALOG_EXPIRED',
      `${rules.what} issued ${doc.issued.toISOString()} is older than the site allows (${at.maxAgeSeconds} s)`,
      { rule: 'max-catalog-age' },
    );
  }
}
