import {
  derToPem,
  exportPrivateKeyPkcs8,
  generateKeyPair,
  issueCertificate,
  type DemoHierarchy,
} from '../../pki/index.ts';

/**
 * An endorser (or site) identity from the demo intermediate whose certificate ends
 * `daysLeft` days from now: for the expiry warnings of the health summary, the web admin
 * and the metrics (issue 18, rotation).
 */
export async function expiringIdentity(
  h: DemoHierarchy,
  daysLeft: number,
  subject = 'CN=vmic Demo Endorser,O=vmic demo,C=CH',
): Promise<{ certificatePem: string; keyPem: string; chainPem: string; notAfter: Date }> {
  const keys = await generateKeyPair('ECDSA-P256');
  const now = Date.now();
  const notAfter = new Date(Math.floor((now + daysLeft * 86400_000) / 1000) * 1000);
  const cert = await issueCertificate({
    subject,
    publicKey: keys.publicKey,
    issuer: h.intermediate,
    notBefore: new Date(now - 3600_000),
    notAfter,
    keyUsage: ['digitalSignature', 'keyAgreement'],
  });
  return {
    certificatePem: derToPem(cert, 'CERTIFICATE'),
    keyPem: derToPem(await exportPrivateKeyPkcs8(keys.privateKey), 'PRIVATE KEY'),
    chainPem: derToPem(h.intermediate.certificate, 'CERTIFICATE'),
    notAfter,
  };
}
