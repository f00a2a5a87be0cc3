import {
  SIGNER_EKU_OIDS,
  validatePath,
  type CertificateInfo,
  type RevocationPolicy,
  type SignedContent,
} from '../../pki/index.ts';
import type { TrustMaterial } from '../site/trust-store.ts';

/**
 * docs/design.md §6 steps 4–5 for any signed document (catalog, image list, transfer
 * manifest, a peer's identity): a path from the signer to one of our anchors at the
 * reference time, then revocation. Certificates carried in the signature are only path
 * candidates; trust comes from the anchors alone. The signer's extKeyUsage, if any, must
 * allow signing documents (SIGNER_EKU_OIDS: codeSigning, emailProtection, or
 * anyExtendedKeyUsage); a TLS-only certificate is refused with KEY_USAGE rule `eku`.
 */
export async function trustedSignerChain(
  signed: Pick<SignedContent, 'signer' | 'certificates'>,
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
