import * as asn1js from 'asn1js';
import { OID_DATA, OID_SIGNED_DATA } from './cms-oids.ts';
import { encodeContentInfo, signedDataOverDigest, type CmsSignOptions } from './cms-sign.ts';

/**
 * One signature over streamed content, in both CMS forms (RFC 5652): `detached` (the
 * `.p7s`) whole, and the attached form (the `.p7m`) as `header ‖ content ‖ trailer`, so
 * that the content (hundreds of MB for a large catalog) is never copied into memory by an
 * ASN.1 encoder, only streamed between the two.
 */
export interface StreamableSignature {
  detached: Uint8Array;
  attachedHeader: Uint8Array;
  attachedTrailer: Uint8Array;
}

/**
 * Signs content known by its SHA-256 and length. The attached form is the detached
 * SignedData with `eContent [0] EXPLICIT OCTET STRING` added to its encapContentInfo; the
 * signed attributes, and so the signature, are the same (RFC 5652 §5.4). Its outer
 * lengths are computed up front, in DER (definite, minimal): the bytes are those pkijs
 * writes for the same content in memory (the tests compare them) and `openssl cms
 * -verify` reads them.
 */
export async function cmsSignStreamable(
  opts: Omit<CmsSignOptions, 'content' | 'detached'> & {
    sha256: Uint8Array;
    contentLength: number;
  },
): Promise<StreamableSignature> {
  if (!Number.isSafeInteger(opts.contentLength) || opts.contentLength < 0)
    throw new RangeError('content length must be a safe integer >= 0');
  const signedData = await signedDataOverDigest(opts);
  const detached = encodeContentInfo(signedData);
  return { detached, ...attachedAround(detached, opts.contentLength) };
}

/**
 * The attached form of a detached SignedData (DER ContentInfo, as pkijs or
 * pki/cms-cosign.ts writes it) around content of `contentLength` bytes: its fields with
 * `eContent [0] EXPLICIT OCTET STRING` added to its encapContentInfo, lengths computed up
 * front so that the content is streamed between `attachedHeader` and `attachedTrailer`.
 */
export function attachedAround(
  detached: Uint8Array,
  contentLength: number,
): { attachedHeader: Uint8Array; attachedTrailer: Uint8Array } {
  // SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo,
  //   certificates [0] IMPLICIT, signerInfos } (no crls in what vmic writes).
  const info = asn1js.fromBER(detached);
  if (info.offset === -1) throw new Error('detached SignedData does not decode');
  const explicit = (info.result as asn1js.Sequence).valueBlock.value[1] as asn1js.Constructed;
  const fields = (explicit.valueBlock.value[0] as asn1js.Sequence).valueBlock.value.map(
    (b) => new Uint8Array(b.toBER()),
  );
  if (fields.length !== 5) throw new Error(`unexpected SignedData with ${fields.length} fields`);
  const [version, digestAlgorithms, , certificates, signerInfos] = fields as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  const oidData = oid(OID_DATA);
  const octetHeader = tlvHeader(0x04, contentLength);
  const eContentLength = octetHeader.length + contentLength;
  const eContentHeader = tlvHeader(0xa0, eContentLength);
  const encapLength = oidData.length + eContentHeader.length + eContentLength;
  const encapHeader = tlvHeader(0x30, encapLength);
  const signedDataLength =
    version.length +
    digestAlgorithms.length +
    encapHeader.length +
    encapLength +
    certificates.length +
    signerInfos.length;
  const signedDataHeader = tlvHeader(0x30, signedDataLength);
  const explicitLength = signedDataHeader.length + signedDataLength;
  const explicitHeader = tlvHeader(0xa0, explicitLength);
  const oidSignedData = oid(OID_SIGNED_DATA);
  const contentInfoLength = oidSignedData.length + explicitHeader.length + explicitLength;
  return {
    attachedHeader: Buffer.concat([
      tlvHeader(0x30, contentInfoLength),
      oidSignedData,
      explicitHeader,
      signedDataHeader,
      version,
      digestAlgorithms,
      encapHeader,
      oidData,
      eContentHeader,
      octetHeader,
    ]),
    attachedTrailer: Buffer.concat([certificates, signerInfos]),
  };
}

/** Tag and DER length (X.690 §8.1.3, §10.1: definite, in the fewest octets). */
export function tlvHeader(tag: number, length: number): Buffer {
  if (length < 0x80) return Buffer.from([tag, length]);
  const octets: number[] = [];
  for (let v = length; v > 0; v = Math.floor(v / 256)) octets.unshift(v % 256);
  return Buffer.from([tag, 0x80 | octets.length, ...octets]);
}

export function oid(dotted: string): Uint8Array {
  return new Uint8Array(new asn1js.ObjectIdentifier({ value: dotted }).toBER());
}
