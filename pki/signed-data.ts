import type { CertificateInfo } from './certificates.ts';
import { cmsVerifySignature } from './cms-verify.ts';
import type { SignedContent } from './cms-verify.ts';
import { validatePath } from './path-validation.ts';
import type { RevocationPolicy } from './revocation.ts';

export interface VerifySignedDataOptions {
  cms: Uint8Array;
  detachedContent?: Uint8Array;
  anchors: Uint8Array[];
  crls?: Uint8Array[];
  time: Date;
  revocation?: RevocationPolicy;
}

/**
 * docs/design.md §6 steps 2–5 in order: CMS structure and signature, then the signer's path to
 * an anchor at the reference time, then revocation.
 */
export async function verifySignedData(
  opts: VerifySignedDataOptions,
): Promise<SignedContent & { chain: CertificateInfo[] }> {
  const signed = await cmsVerifySignature(opts);
  const intermediates = signed.certificates.filter(
    (der) => !Buffer.from(der).equals(Buffer.from(signed.signer.der)),
  );
  const { chain } = await validatePath({
    leaf: signed.signer.der,
    intermediates,
    anchors: opts.anchors,
    time: opts.time,
    leafKeyUsage: 'digitalSignature',
    ...(opts.crls !== undefined ? { crls: opts.crls } : {}),
    ...(opts.revocation !== undefined ? { revocation: opts.revocation } : {}),
  });
  return { ...signed, chain };
}
