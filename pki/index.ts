/** Public API of vmic's X.509 / CMS layer (DESIGN §1, §3, §6 steps 2–5). */
export type { CryptoKey, CryptoKeyPair } from './crypto-provider.ts';
export type { KeyAlgorithm } from './keys.ts';
export { generateKeyPair, exportPrivateKeyPkcs8, importPrivateKey } from './keys.ts';
export { derToPem, pemToDers } from './pem.ts';
export type { CertificateInfo, IssueCertificateOptions } from './certificates.ts';
export { describeCertificate, issueCertificate, createCsr } from './certificates.ts';
export type { CreateCrlOptions } from './crl.ts';
export { createCrl } from './crl.ts';
export type { CrlInfo } from './crl-info.ts';
export { describeCrl, crlSignedBy } from './crl-info.ts';
export type { DistinguishedName, DnAttribute } from './dn.ts';
export { parseDn, dnEquals, formatDn } from './dn.ts';
export type { RevocationPolicy } from './revocation.ts';
export type {
  PathExplanation,
  PathFailure,
  PathValidationInput,
  ValidatedPath,
} from './path-validation.ts';
export { explainPath, validatePath } from './path-validation.ts';
export type { CmsSignOptions } from './cms-sign.ts';
export { cmsSign } from './cms-sign.ts';
export type { SignedContent } from './cms-verify.ts';
export { cmsVerifySignature } from './cms-verify.ts';
export type { VerifySignedDataOptions } from './signed-data.ts';
export { verifySignedData } from './signed-data.ts';
export type { Credential, DemoHierarchy } from './demo-hierarchy.ts';
export { buildDemoHierarchy, writeDemoHierarchy } from './demo-hierarchy.ts';
export { VmicError, isVmicError } from './errors.ts';
