import crypto from 'node:crypto';
import { VmicError } from '../../pki/errors.ts';
import { dnEquals, type CertificateInfo } from '../../pki/index.ts';

/** The CA that issued a peer's certificate: its subject and a key identifier of its own key. */
export interface IssuerIdentity {
  subject: string;
  /**
   * `sha256:HEX` of the CA's SubjectPublicKeyInfo (as subscriptions pin it): two CAs with
   * one DN differ here.
   */
  keyId: string;
}

export interface IssuerPin {
  subject?: string | undefined;
  keyId?: string | undefined;
}

/**
 * The issuer of a validated path (leaf first, anchor last). The key identifier is computed
 * from the CA certificate's key, not read from an AKI/SKI extension, which a second CA
 * with the same name could copy.
 */
export function issuerOfPath(chain: readonly CertificateInfo[]): IssuerIdentity {
  const ca = chain[1] ?? chain[0];
  if (!ca) throw new VmicError('INTERNAL', 'empty certificate path');
  return { subject: ca.subject, keyId: spkiSha256(ca.der) };
}

export function spkiSha256(der: Uint8Array): string {
  const spki = new crypto.X509Certificate(der).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${crypto.createHash('sha256').update(spki).digest('hex')}`;
}

/**
 * A peer's issuer pin (configured with `peer add --expect-issuer`, or learned on first
 * verified use). Threat: another CA in the trust store, perhaps made with the same
 * subject DN, issuing a certificate with the peer's subject.
 */
export function checkIssuerPin(peer: string, issuer: IssuerIdentity, pin: IssuerPin): void {
  if (pin.subject !== undefined && !dnEquals(issuer.subject, pin.subject))
    throw new VmicError(
      'SUBJECT_MISMATCH',
      `peer ${peer}'s certificate is issued by ${issuer.subject}, but the peer is pinned to issuer ${pin.subject}`,
      { rule: 'peer.issuer' },
    );
  if (pin.keyId !== undefined && issuer.keyId !== pin.keyId)
    throw new VmicError(
      'SUBJECT_MISMATCH',
      `peer ${peer}'s certificate is issued by a CA named ${issuer.subject} with another key ` +
        `(${issuer.keyId}) than the pinned one (${pin.keyId}): another CA with the same name`,
      { rule: 'peer.issuer-key' },
    );
}
