import * as asn1js from 'asn1js';
import { describeCertificate } from '../../pki/index.ts';
import { pkijs } from '../../pki/crypto-provider.ts';

/** What a refused transfer says about itself, read without trusting it. */
export interface Claims {
  sender: string | undefined;
  migrationId: string | undefined;
  image: string | undefined;
  /** Only to find a partial transfer this manifest may belong to; verified before use. */
  nonce?: string | undefined;
}

/**
 * Best effort, for the operator's record of a refusal only: the sender, migration id and
 * image that a signed manifest claims, read from the CMS content and, failing that, the
 * subject of the first certificate it carries. Nothing here is verified and nothing here
 * decides anything; the refusal has already been decided. Input is at most the bounded
 * manifest (bundle-format.ts MAX_MANIFEST_BYTES); any decoding failure yields nothing.
 */
export function readClaims(signedManifest: Uint8Array): Claims {
  const none: Claims = { sender: undefined, migrationId: undefined, image: undefined };
  try {
    const decoded = asn1js.fromBER(signedManifest);
    if (decoded.offset === -1) return none;
    const info = new pkijs.ContentInfo({ schema: decoded.result });
    const sd = new pkijs.SignedData({ schema: info.content });
    const claims = { ...none };
    const e = sd.encapContentInfo.eContent;
    if (e) {
      try {
        const m = JSON.parse(Buffer.from(e.getValue()).toString('utf8')) as Record<string, unknown>;
        const image = m.image as Record<string, unknown> | undefined;
        claims.sender = text(m.sender);
        claims.migrationId = text(m.migrationId);
        claims.nonce = text(m.nonce);
        claims.image =
          image && text(image.endorser) && text(image.identifier)
            ? `${text(image.endorser)}/${text(image.identifier)}`
            : undefined;
      } catch {
        // not JSON: only the certificate can say who claims to send it
      }
    }
    if (!claims.sender) {
      const cert = sd.certificates?.find((c) => c instanceof pkijs.Certificate);
      if (cert)
        claims.sender = describeCertificate(new Uint8Array(cert.toSchema().toBER())).subject;
    }
    return claims;
  } catch {
    return none;
  }
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v.slice(0, 1000) : undefined;
}
