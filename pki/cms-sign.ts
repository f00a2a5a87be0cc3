import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import { engineFor, pkijs } from './crypto-provider.ts';
import type { CryptoKey } from './crypto-provider.ts';
import {
  OID_ATTR_CONTENT_TYPE,
  OID_ATTR_MESSAGE_DIGEST,
  OID_ATTR_SIGNING_TIME,
  OID_DATA,
  OID_SIGNED_DATA,
} from './cms-oids.ts';
import { PkiError } from './errors.ts';

export interface CmsSignOptions {
  content: Uint8Array;
  detached: boolean;
  signer: { certificate: Uint8Array; privateKey: CryptoKey };
  /** intermediates to include next to the signer certificate */
  chain: Uint8Array[];
  signingTime: Date;
}

function parseCert(der: Uint8Array): pkijs.Certificate {
  try {
    return pkijs.Certificate.fromBER(der);
  } catch (cause) {
    throw new PkiError('MALFORMED', 'not a DER X.509 certificate', { cause });
  }
}

/** RFC 5652 §11.3: UTCTime for 1950–2049, GeneralizedTime otherwise. */
function signingTimeValue(t: Date): asn1js.BaseBlock {
  const y = t.getUTCFullYear();
  return y >= 1950 && y < 2050
    ? new asn1js.UTCTime({ valueDate: t })
    : new asn1js.GeneralizedTime({ valueDate: t });
}

/** DER (X.690 §11.6) orders SET OF members by their encodings. */
function derSorted(attributes: pkijs.Attribute[]): pkijs.Attribute[] {
  const enc = (a: pkijs.Attribute) => Buffer.from(a.toSchema().toBER());
  return [...attributes].sort((a, b) => Buffer.compare(enc(a), enc(b)));
}

/**
 * CMS SignedData (RFC 5652 §5) over `content`, SHA-256, with contentType, signingTime and
 * messageDigest as signed attributes and the signer certificate plus `chain` in the
 * certificate set, so that `openssl cms -verify` can audit it with only the anchors.
 */
export async function cmsSign(opts: CmsSignOptions): Promise<Uint8Array> {
  const { content, detached, ...signing } = opts;
  const signedData = await signedDataOverDigest({
    ...signing,
    sha256: createHash('sha256').update(content).digest(),
    ...(detached ? {} : { content }),
  });
  return encodeContentInfo(signedData);
}

/**
 * The signed SignedData of content whose SHA-256 is `sha256`: the signature covers the
 * signed attributes only (RFC 5652 §5.4), so it is the same whether or not `content` is
 * embedded.
 */
export async function signedDataOverDigest(
  opts: Omit<CmsSignOptions, 'content' | 'detached'> & { sha256: Uint8Array; content?: Uint8Array },
): Promise<pkijs.SignedData> {
  const signerCert = parseCert(opts.signer.certificate);
  const encapContentInfo = new pkijs.EncapsulatedContentInfo({ eContentType: OID_DATA });
  if (opts.content !== undefined) {
    // Assigned after construction: the pkijs constructor would split it into a
    // constructed (BER-only) OCTET STRING.
    encapContentInfo.eContent = new asn1js.OctetString({ valueHex: opts.content });
  }
  const signedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 0,
    attributes: derSorted([
      new pkijs.Attribute({
        type: OID_ATTR_CONTENT_TYPE,
        values: [new asn1js.ObjectIdentifier({ value: OID_DATA })],
      }),
      new pkijs.Attribute({
        type: OID_ATTR_SIGNING_TIME,
        values: [signingTimeValue(opts.signingTime)],
      }),
      new pkijs.Attribute({
        type: OID_ATTR_MESSAGE_DIGEST,
        values: [new asn1js.OctetString({ valueHex: opts.sha256 })],
      }),
    ]),
  });
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo,
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({
          issuer: signerCert.issuer,
          serialNumber: signerCert.serialNumber,
        }),
        signedAttrs,
      }),
    ],
    certificates: [signerCert, ...opts.chain.map(parseCert)],
  });
  // With signed attributes pkijs hashes them, never the content: the digest above stands.
  await signedData.sign(
    opts.signer.privateKey,
    0,
    'SHA-256',
    undefined,
    engineFor(opts.signer.privateKey),
  );
  return signedData;
}

/** ContentInfo { signedData } in DER. */
export function encodeContentInfo(signedData: pkijs.SignedData): Uint8Array {
  const contentInfo = new pkijs.ContentInfo({
    contentType: OID_SIGNED_DATA,
    content: signedData.toSchema(true),
  });
  return new Uint8Array(contentInfo.toSchema().toBER());
}
