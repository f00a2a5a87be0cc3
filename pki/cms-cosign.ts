import * as asn1js from 'asn1js';
import { OID_DATA, OID_SIGNED_DATA } from './cms-oids.ts';
import { oid, tlvHeader } from './cms-attached.ts';
import { PkiError } from './errors.ts';

/**
 * Co-signed CMS (RFC 5652 §5.1: SignedData carries any number of SignerInfos, each with
 * its own signed attributes, over one encapsulated content). Pure: detached SignedData
 * structures, each made by one signer over the same content (by vmic, or by stock
 * `openssl cms -sign` elsewhere), become one detached SignedData holding every
 * SignerInfo, the union of their digest algorithms and certificates. Every SignerInfo
 * is copied byte for byte, so each signature stays what its signer made.
 */

interface SignedDataParts {
  eContentType: string;
  digestAlgorithms: Uint8Array[];
  certificates: Uint8Array[];
  signerInfos: Uint8Array[];
  /** SignerInfo versions: 3 for a subjectKeyIdentifier sid (RFC 5652 §5.3). */
  versions: number[];
}

function malformed(message: string): PkiError {
  return new PkiError('MALFORMED', message, { rule: 'cosign' });
}

const der = (b: asn1js.BaseBlock): Uint8Array => new Uint8Array(b.toBER());
const children = (b: asn1js.BaseBlock): asn1js.BaseBlock[] =>
  (b as asn1js.Constructed).valueBlock.value ?? [];
const isContext = (b: asn1js.BaseBlock | undefined, n: number): boolean =>
  b !== undefined && b.idBlock.tagClass === 3 && b.idBlock.tagNumber === n;

/** The parts of a detached ContentInfo { SignedData }; refuses attached content and CRLs. */
export function signedDataParts(cms: Uint8Array): SignedDataParts {
  const decoded = asn1js.fromBER(cms);
  if (decoded.offset === -1 || decoded.offset !== cms.length)
    throw malformed('CMS does not decode as one DER structure');
  const [type, explicit] = children(decoded.result);
  if (!(type instanceof asn1js.ObjectIdentifier) || type.valueBlock.toString() !== OID_SIGNED_DATA)
    throw malformed('CMS is not SignedData');
  const fields = children(children(explicit!)[0]!);
  const [, digestAlgorithms, encap] = fields;
  if (!(digestAlgorithms instanceof asn1js.Set) || !(encap instanceof asn1js.Sequence))
    throw malformed('SignedData does not have the structure of RFC 5652 §5.1');
  const [eType, eContent] = children(encap);
  if (eContent !== undefined) throw malformed('a co-signature must be detached (no content)');
  if (!(eType instanceof asn1js.ObjectIdentifier)) throw malformed('no eContentType');
  let rest = fields.slice(3);
  let certificates: asn1js.BaseBlock[] = [];
  if (isContext(rest[0], 0)) {
    certificates = children(rest[0]!);
    rest = rest.slice(1);
  }
  if (isContext(rest[0], 1)) throw malformed('CRLs in a co-signature are not accepted');
  const signerInfos = rest[0];
  if (rest.length !== 1 || !(signerInfos instanceof asn1js.Set))
    throw malformed('SignedData has no signerInfos set');
  const infos = children(signerInfos);
  return {
    eContentType: eType.valueBlock.toString(),
    digestAlgorithms: children(digestAlgorithms).map(der),
    certificates: certificates.map(der),
    signerInfos: infos.map(der),
    versions: infos.map((si) => {
      const v = children(si)[0];
      return v instanceof asn1js.Integer ? v.valueBlock.valueDec : 0;
    }),
  };
}

/** DER SET OF (X.690 §11.6): members in the order of their encodings, duplicates once. */
function derSet(members: Uint8Array[]): Uint8Array[] {
  const unique = new Map<string, Uint8Array>();
  for (const m of members) unique.set(Buffer.from(m).toString('hex'), m);
  return [...unique.values()].sort((a, b) => Buffer.compare(a, b));
}

function tlv(tag: number, content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([tlvHeader(tag, body.length), body]);
}

/**
 * One detached ContentInfo { SignedData } with the SignerInfos of `signatures` (each a
 * detached SignedData over the same content, of the same content type), in DER. The
 * caller has verified each signature over the content; here nothing is trusted and
 * nothing checked but the structure. Refuses two copies of one SignerInfo.
 */
export function combineSignedData(signatures: Uint8Array[]): Uint8Array {
  if (signatures.length === 0) throw malformed('no signatures to combine');
  const parts = signatures.map(signedDataParts);
  const eContentType = parts[0]!.eContentType;
  if (parts.some((p) => p.eContentType !== eContentType))
    throw malformed('the signatures are over different content types');
  const signerInfos = parts.flatMap((p) => p.signerInfos);
  const sortedInfos = derSet(signerInfos);
  if (sortedInfos.length !== signerInfos.length) throw malformed('the same SignerInfo twice');
  // RFC 5652 §5.1: version 3 with a v3 SignerInfo or content other than id-data, else 1.
  const version = eContentType !== OID_DATA || parts.some((p) => p.versions.includes(3)) ? 3 : 1;
  const signedData = tlv(0x30, [
    der(new asn1js.Integer({ value: version })),
    tlv(0x31, derSet(parts.flatMap((p) => p.digestAlgorithms))),
    tlv(0x30, [oid(eContentType)]),
    tlv(0xa0, derSet(parts.flatMap((p) => p.certificates))),
    tlv(0x31, sortedInfos),
  ]);
  return new Uint8Array(tlv(0x30, [oid(OID_SIGNED_DATA), tlv(0xa0, [signedData])]));
}

/** How many SignerInfos a ContentInfo { SignedData } holds, attached or detached. */
export function countSignerInfos(cms: Uint8Array): number {
  const decoded = asn1js.fromBER(cms);
  if (decoded.offset === -1) throw malformed('CMS does not decode');
  const fields = children(children(children(decoded.result)[1]!)[0]!);
  return children(fields[fields.length - 1]!).length;
}
