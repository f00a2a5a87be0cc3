/** Public API of vmic's X.509 / CMS layer (docs/design.md §1, §3, §6 steps 2–5). */
export type { CryptoKey, CryptoKeyPair } from './crypto-provider.ts';
export type { KeyAlgorithm } from './keys.ts';
export { generateKeyPair, exportPrivateKeyPkcs8, importPrivateKey } from './keys.ts';
export { derToPem, pemToDers } from './pem.ts';
export type { CertificateInfo, IssueCertificateOptions } from './certificates.ts';
export { describeCertificate, issueCertificate, createCsr } from './certificates.ts';
export type { CreateCrlOptions } from './crl.ts';
export { createCrl } from './crl.ts';
export type { CrlInfo } from './crl-info.ts';
export { describeCrl } from './crl-info.ts';
export type { CrlAssessment } from './crl-assessment.ts';
export { assessCrl } from './crl-assessment.ts';
export type { DistinguishedName, DnAttribute } from './dn.ts';
export { parseDn, dnEquals, formatDn } from './dn.ts';
export type { RevocationPolicy } from './revocation.ts';
export type {
  PathExplanation,
  PathFailure,
  PathValidationInput,
  ValidatedPath,
} from './path-validation.ts';
export { depthForIntermediates, explainPath, validatePath } from './path-validation.ts';
export type { EkuName } from './extended-key-usage.ts';
export { ANY_EKU_OID, EKU_OIDS, SIGNER_EKU_OIDS, ekuOid } from './extended-key-usage.ts';
export { MAX_SIGNATURE_VERIFICATIONS } from './path-building.ts';
export type { CmsSignOptions } from './cms-sign.ts';
export { cmsSign } from './cms-sign.ts';
export type { SignedContent } from './cms-verify.ts';
export { cmsVerifySignature, cmsVerifySigners, MAX_CMS_SIGNERS } from './cms-verify.ts';
export type { Credential, DemoHierarchy } from './demo-hierarchy.ts';
export { buildDemoHierarchy, writeDemoHierarchy } from './demo-hierarchy.ts';
export { PKI_CODES, PkiError, type PkiCode } from './errors.ts';
