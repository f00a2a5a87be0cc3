import { cmsSign, type CryptoKey } from '../../pki/index.ts';
import { buildSignedMime, canonicalText } from './smime.ts';

/**
 * Signs list JSON the way `openssl smime -sign` (and vmcaster) does: a detached CMS
 * SignedData over the canonical (CRLF) bytes of the first MIME part, wrapped as
 * multipart/signed. The CMS is the same as vmic's catalogs (SHA-256, signingTime,
 * signer certificate and chain), so `openssl smime -verify -CAfile root` checks it.
 */
export async function signImageList(
  json: string,
  signer: { certificate: Uint8Array; privateKey: CryptoKey; chain: Uint8Array[] },
  signingTime: Date,
): Promise<Buffer> {
  const content = canonicalText(json);
  const signature = await cmsSign({
    content,
    detached: true,
    signer: { certificate: signer.certificate, privateKey: signer.privateKey },
    chain: signer.chain,
    signingTime,
  });
  return buildSignedMime(content, signature);
}
