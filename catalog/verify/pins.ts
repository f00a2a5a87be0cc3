import crypto from 'node:crypto';
import { VmicError } from '../../errors/index.ts';
import { dnEquals, type CertificateInfo } from '../../pki/index.ts';

/**
 * The CA that issued a signer's certificate (a subscription's endorser, a peer site): its
 * subject and `sha256:HEX` of its SubjectPublicKeyInfo. Subscriptions and peers pin this
 * one thing on first verified use; two CAs with one DN differ in `keyId`.
 */
export interface IssuerIdentity {
  subject: string;
  keyId: string;
}

/**
 * What is pinned of a signer (docs/design.md §6 step 6, §8 Import): its subject, and of its
 * issuing CA the name (`--expect-issuer`) and the key (learned on first use). Unset parts
 * are not checked.
 */
export interface SignerPin {
  subject: string;
  /** The exact certificate that must sign (a peer added with `--cert`). */
  certificateDer?: Uint8Array | undefined;
  issuer?: string | undefined;
  issuerKeyId?: string | undefined;
}

/**
 * The rule names and wording of a pin's refusals. Subscriptions and peers check the same
 * things and keep their own words: `pin.*` for subscriptions, `peer.*` for peers.
 */
export interface PinRules {
  subject: string;
  certificate: string;
  issuer: string;
  issuerKey: string;
  /** The issuer's name that is compared and quoted: the signer's issuer field, or the CA's subject. */
  issuerName(signer: CertificateInfo, chain: readonly CertificateInfo[]): string;
  subjectMismatch(signer: string, pinned: string): string;
  certificateMismatch(signer: CertificateInfo): string;
  issuerMismatch(issuer: string, pinned: string): string;
  keyMismatch(issuer: IssuerIdentity, pinned: string): string;
}

/** A subscription's pins (`subscription add --expect-subject/--expect-issuer`, first-use key). */
export const SUBSCRIPTION_PIN_RULES: PinRules = {
  subject: 'pin.subject',
  certificate: 'pin.certificate',
  issuer: 'pin.issuer',
  issuerKey: 'pin.issuerKey',
  issuerName: (signer) => signer.issuer,
  subjectMismatch: (signer, pinned) => `signed by ${signer}, expected ${pinned}`,
  certificateMismatch: (signer) =>
    `signed by a certificate of ${signer.subject} that is not the pinned certificate`,
  issuerMismatch: (issuer, pinned) => `signer issued by ${issuer}, expected ${pinned}`,
  keyMismatch: (issuer, pinned) =>
    `signer issued by a CA named ${issuer.subject} whose key (${issuer.keyId}) is not the pinned one (${pinned}): another CA with the same name`,
};

/** A peer's pins (`peer add --expect-issuer`, first-use key), for its manifests and identity. */
export function peerPinRules(peer: string): PinRules {
  return {
    // The peer was found by its subject (UNKNOWN_PEER otherwise): this holds by then.
    subject: 'peer.subject',
    certificate: 'peer.certificate',
    issuer: 'peer.issuer',
    issuerKey: 'peer.issuer-key',
    issuerName: (_signer, chain) => issuerCertificate(chain).subject,
    subjectMismatch: (signer, pinned) => `signed by ${signer}, not by peer ${peer} (${pinned})`,
    certificateMismatch: (signer) =>
      `the manifest is signed by a certificate of ${signer.subject} (sha256 ${signer.fingerprintSha256.slice(0, 16)}…) ` +
      `that is not the certificate given for peer ${peer} with --cert`,
    issuerMismatch: (issuer, pinned) =>
      `peer ${peer}'s certificate is issued by ${issuer}, but the peer is pinned to issuer ${pinned}`,
    keyMismatch: (issuer, pinned) =>
      `peer ${peer}'s certificate is issued by a CA named ${issuer.subject} with another key ` +
      `(${issuer.keyId}) than the pinned one (${pinned}): another CA with the same name`,
  };
}

function issuerCertificate(chain: readonly CertificateInfo[]): CertificateInfo {
  const ca = chain[1] ?? chain[0];
  if (!ca) throw new VmicError('CHAIN_UNTRUSTED', 'no validated chain to pin an issuer from');
  return ca;
}

/**
 * The issuer of a validated path (leaf first, anchor last). The key id is computed from the
 * CA certificate's key, not read from its subject or an AKI/SKI extension: both are names
 * that the maker of a second CA chooses freely.
 */
export function issuerOf(chain: readonly CertificateInfo[]): IssuerIdentity {
  const ca = issuerCertificate(chain);
  return { subject: ca.subject, keyId: spkiKeyId(ca.der) };
}

/** `sha256:HEX` of a certificate's SubjectPublicKeyInfo. */
export function spkiKeyId(der: Uint8Array): string {
  const spki = new crypto.X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${crypto.createHash('sha256').update(spki).digest('hex')}`;
}

/**
 * The exact certificate, when one is pinned: needs no path, so it runs before path
 * building (threat: work forced before authentication).
 */
export function checkCertificatePin(
  signer: CertificateInfo,
  pin: Pick<SignerPin, 'certificateDer'>,
  rules: PinRules,
): void {
  if (pin.certificateDer && !Buffer.from(pin.certificateDer).equals(Buffer.from(signer.der)))
    throw new VmicError('SUBJECT_MISMATCH', rules.certificateMismatch(signer), {
      rule: rules.certificate,
    });
}

/**
 * docs/design.md §6 step 6: the signer is the one pinned (threat: a valid certificate of
 * another endorser under the same CA publishing in its name), then its issuer.
 */
export function checkSignerPin(
  signer: CertificateInfo,
  chain: readonly CertificateInfo[],
  pin: SignerPin,
  rules: PinRules,
): void {
  if (!dnEquals(signer.subject, pin.subject))
    throw new VmicError('SUBJECT_MISMATCH', rules.subjectMismatch(signer.subject, pin.subject), {
      rule: rules.subject,
    });
  checkIssuerPin(rules.issuerName(signer, chain), () => issuerOf(chain), pin, rules);
}

/**
 * The issuing CA is the pinned one (threat: another CA in the trust store, perhaps made with
 * the same subject DN, issuing a certificate with the signer's subject): its name when one
 * is pinned, then its key when one is pinned. The key is computed only then.
 */
export function checkIssuerPin(
  issuerName: string,
  issuer: () => IssuerIdentity,
  pin: Pick<SignerPin, 'issuer' | 'issuerKeyId'>,
  rules: PinRules,
): void {
  if (pin.issuer !== undefined && !dnEquals(issuerName, pin.issuer))
    throw new VmicError('SUBJECT_MISMATCH', rules.issuerMismatch(issuerName, pin.issuer), {
      rule: rules.issuer,
    });
  if (pin.issuerKeyId === undefined) return;
  const seen = issuer();
  if (seen.keyId !== pin.issuerKeyId)
    throw new VmicError('SUBJECT_MISMATCH', rules.keyMismatch(seen, pin.issuerKeyId), {
      rule: rules.issuerKey,
    });
}
