/**
 * Stock OpenSSL for tests: one runner (`run.ts`) and the builders on top of it — CAs run
 * by `openssl ca` with CRLs (`ca.ts`), self-signed and `x509 -req` certificates
 * (`certs.ts`), CMS and S/MIME signatures (`cms.ts`).
 */
export * from './run.ts';
export * from './ca.ts';
export * from './certs.ts';
export * from './cms.ts';
