import { createHash, createPublicKey, timingSafeEqual, verify } from 'node:crypto';
import * as asn1js from 'asn1js';
import {
  checkPublicKeyStrength,
  digestAlgorithm,
  nodeHashName,
  OID_RSA_ENCRYPTION,
  signatureAlgorithm,
} from './algorithms.ts';
import { describeCertificate } from './certificates.ts';
import type { CertificateInfo } from './certificates.ts';
import {
  OID_ATTR_CONTENT_TYPE,
  OID_ATTR_MESSAGE_DIGEST,
  OID_ATTR_SIGNING_TIME,
  OID_SIGNED_DATA,
} from './cms-oids.ts';
import { pkijs } from './crypto-provider.ts';
import { VmicError } from '../errors/index.ts';
import { PkiError } from './errors.ts';
import type { HashName } from './keys.ts';
import { describeSpki } from './keys.ts';

export interface SignedContent {
  /** exactly the bytes the signature covers */
  content: Uint8Array;
  signer: CertificateInfo;
  /** every certificate of the CMS certificate set, DER */
  certificates: Uint8Array[];
  signingTime?: Date;
}

function malformed(message: string, rule?: string, cause?: unknown): PkiError {
  return new PkiError('MALFORMED', message, {
    ...(rule === undefined ? {} : { rule }),
    ...(cause === undefined ? {} : { cause }),
  });
}

function invalid(message: string, rule: string): PkiError {
  return new PkiError('SIGNATURE_INVALID', message, { rule });
}

/**
 * asn1js refuses content over 16 MiB by default; a 10,000-image catalog is about 26 MB.
 * The bound stays (threat: a decoder asked to allocate for a forged length), set above
 * the largest feed a site accepts (policy feed-max-bytes, at most 1 GiB).
 */
export const MAX_CMS_BYTES = 1024 ** 3;

function parseSignedData(cms: Uint8Array): pkijs.SignedData {
  try {
    if (cms.length > MAX_CMS_BYTES) throw malformed('CMS is larger than vmic accepts');
    const decoded = asn1js.fromBER(cms, { maxContentLength: MAX_CMS_BYTES });
    if (decoded.offset === -1) throw malformed(`CMS does not decode: ${decoded.result.error}`);
    // Bytes after the structure are not covered by anything: refuse rather than ignore.
    if (decoded.offset !== cms.length) throw malformed('trailing bytes after the CMS structure');
    const info = new pkijs.ContentInfo({ schema: decoded.result });
    if (info.contentType !== OID_SIGNED_DATA) throw malformed('CMS is not SignedData');
    return new pkijs.SignedData({ schema: info.content });
  } catch (cause) {
    if (cause instanceof VmicError) throw cause;
    throw malformed('CMS does not decode', undefined, cause);
  }
}

/** The signed bytes: the encapsulated content, or the caller's copy for a detached signature. */
function coveredContent(sd: pkijs.SignedData, detached: Uint8Array | undefined): Uint8Array {
  const e = sd.encapContentInfo.eContent;
  if (e !== undefined && detached !== undefined) {
    throw malformed('detached content given for an attached signature', 'content');
  }
  // A primitive OCTET STRING is read in place (a view of the CMS bytes, not a copy: the
  // content of a large feed is held once); a constructed one is joined by asn1js.
  if (e !== undefined)
    return e.idBlock.isConstructed ? new Uint8Array(e.getValue()) : e.valueBlock.valueHexView;
  if (detached === undefined) throw malformed('detached signature without content', 'content');
  return new Uint8Array(detached);
}

interface SignerAttributes {
  der: Uint8Array;
  contentType: string;
  messageDigest: Uint8Array;
  signingTime?: Date;
}

/**
 * RFC 5652 §5.3/§11: signedAttrs must carry exactly one contentType and one messageDigest.
 * A second copy of either would let a verifier and an auditor read different values.
 */
function signerAttributes(si: pkijs.SignerInfo): SignerAttributes {
  const attrs = si.signedAttrs;
  if (attrs === undefined) throw malformed('SignerInfo has no signed attributes', 'signedAttrs');
  const single = (oid: string): asn1js.BaseBlock | undefined => {
    const found = attrs.attributes.filter((a) => a.type === oid);
    if (found.length > 1 || (found.length === 1 && found[0]?.values.length !== 1)) {
      throw malformed(`signed attribute ${oid} is repeated`, 'signedAttrs');
    }
    return found[0]?.values[0] as asn1js.BaseBlock | undefined;
  };
  const ct = single(OID_ATTR_CONTENT_TYPE);
  const md = single(OID_ATTR_MESSAGE_DIGEST);
  const st = single(OID_ATTR_SIGNING_TIME);
  if (!(ct instanceof asn1js.ObjectIdentifier) || !(md instanceof asn1js.OctetString)) {
    throw malformed('contentType or messageDigest attribute missing', 'signedAttrs');
  }
  const out: SignerAttributes = {
    der: new Uint8Array(attrs.encodedValue),
    contentType: ct.valueBlock.toString(),
    messageDigest: new Uint8Array(md.valueBlock.valueHexView),
  };
  if (st instanceof asn1js.UTCTime || st instanceof asn1js.GeneralizedTime)
    out.signingTime = st.toDate();
  return out;
}

function certificateSet(sd: pkijs.SignedData): Uint8Array[] {
  return (sd.certificates ?? [])
    .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
    .map((c) => new Uint8Array(c.toSchema().toBER()));
}

/** RFC 5652 §5.3 SignerIdentifier: issuerAndSerialNumber or [0] subjectKeyIdentifier. */
function findSignerCertificate(si: pkijs.SignerInfo, ders: Uint8Array[]): Uint8Array {
  const sid: unknown = si.sid;
  const match = ders.find((der) => {
    const cert = pkijs.Certificate.fromBER(der);
    if (sid instanceof pkijs.IssuerAndSerialNumber) {
      return cert.issuer.isEqual(sid.issuer) && cert.serialNumber.isEqual(sid.serialNumber);
    }
    if (sid instanceof asn1js.Primitive || sid instanceof asn1js.Constructed) {
      const wanted = Buffer.from((sid as asn1js.Primitive).valueBlock.valueHexView ?? []);
      const ski = cert.extensions?.find((e) => e.extnID === '2.5.29.14');
      const have = ski ? asn1js.fromBER(ski.extnValue.valueBlock.valueHexView).result : undefined;
      return (
        have instanceof asn1js.OctetString &&
        wanted.equals(Buffer.from(have.valueBlock.valueHexView))
      );
    }
    return false;
  });
  if (match === undefined)
    throw malformed('signer certificate is not in the CMS', 'signerCertificate');
  return match;
}

/** The hash the SignerInfo signature uses; weak or inconsistent choices are refused. */
function signerHash(si: pkijs.SignerInfo, keyKind: string): HashName {
  const digestHash = digestAlgorithm(si.digestAlgorithm.algorithmId, 'CMS digestAlgorithm');
  const sigOid = si.signatureAlgorithm.algorithmId;
  if (sigOid === OID_RSA_ENCRYPTION && keyKind === 'RSA') return digestHash;
  if (sigOid === '1.2.840.10045.2.1' && keyKind === 'EC') return digestHash;
  const alg = signatureAlgorithm(sigOid, 'CMS signatureAlgorithm');
  if (alg.key !== keyKind)
    throw malformed('signature algorithm does not fit the signer key', 'algorithm');
  return alg.hash;
}

/**
 * docs/design.md §6 steps 2–3: parse, exactly one signer, signature over the content. Chain
 * trust is not checked here (catalog/verify: trustedSignerChain). Returns the covered bytes only,
 * so callers never act on content the signature did not protect.
 */
export function cmsVerifySignature(opts: {
  cms: Uint8Array;
  detachedContent?: Uint8Array;
}): Promise<SignedContent> {
  // The work is synchronous; the promise stays so callers (and a future async crypto
  // provider) see one contract, and every failure arrives as a rejection, never a throw.
  try {
    return Promise.resolve(verifySignerInfo(opts.cms, opts.detachedContent));
  } catch (e) {
    // The CMS is attacker-supplied: any decoder surprise is a malformed input, not a crash.
    return Promise.reject(
      e instanceof VmicError ? e : malformed('CMS does not decode', undefined, e),
    );
  }
}

function verifySignerInfo(cms: Uint8Array, detachedContent: Uint8Array | undefined): SignedContent {
  const sd = parseSignedData(cms);
  if (sd.signerInfos.length !== 1) {
    throw malformed(`expected exactly one signer, found ${sd.signerInfos.length}`, 'signerInfos');
  }
  const content = coveredContent(sd, detachedContent);
  const certificates = certificateSet(sd);
  return verifyOneSigner(sd, sd.signerInfos[0] as pkijs.SignerInfo, content, certificates);
}

/** At most this many SignerInfos are checked (threat: a CMS stuffed with signatures to verify). */
export const MAX_CMS_SIGNERS = 16;

/**
 * A co-signed SignedData (several SignerInfos over one content, issue 18): every
 * SignerInfo must verify, as `openssl cms -verify` demands; whether enough of them are
 * trusted, distinct and pinned is the caller's to decide (THRESHOLD_NOT_MET).
 */
export function cmsVerifySigners(opts: {
  cms: Uint8Array;
}): Promise<{ content: Uint8Array; certificates: Uint8Array[]; signers: SignedContent[] }> {
  try {
    const sd = parseSignedData(opts.cms);
    if (sd.signerInfos.length === 0) throw malformed('no signer', 'signerInfos');
    if (sd.signerInfos.length > MAX_CMS_SIGNERS)
      throw malformed(`more than ${MAX_CMS_SIGNERS} signers`, 'signerInfos');
    const content = coveredContent(sd, undefined);
    const certificates = certificateSet(sd);
    const signers = sd.signerInfos.map((si) => verifyOneSigner(sd, si, content, certificates));
    return Promise.resolve({ content, certificates, signers });
  } catch (e) {
    return Promise.reject(
      e instanceof VmicError ? e : malformed('CMS does not decode', undefined, e),
    );
  }
}

function verifyOneSigner(
  sd: pkijs.SignedData,
  si: pkijs.SignerInfo,
  content: Uint8Array,
  certificates: Uint8Array[],
): SignedContent {
  const signerDer = findSignerCertificate(si, certificates);
  const signer = describeCertificate(signerDer);
  const spki = pkijs.Certificate.fromBER(signerDer).subjectPublicKeyInfo.toSchema().toBER();
  const key = describeSpki(new Uint8Array(spki));
  checkPublicKeyStrength(key, 'CMS signer');
  const digestHash = digestAlgorithm(si.digestAlgorithm.algorithmId, 'CMS digestAlgorithm');
  const sigHash = signerHash(si, key.kind);
  const attrs = signerAttributes(si);
  // Content-type substitution (RFC 5652 §11.1): the signed type must be the carried type.
  if (attrs.contentType !== sd.encapContentInfo.eContentType) {
    throw invalid('contentType attribute differs from eContentType', 'contentType');
  }
  const digest = createHash(nodeHashName(digestHash)).update(content).digest();
  if (
    digest.length !== attrs.messageDigest.length ||
    !timingSafeEqual(digest, attrs.messageDigest)
  ) {
    throw invalid('content does not match the signed messageDigest', 'messageDigest');
  }
  const publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  let ok = false;
  try {
    ok = verify(nodeHashName(sigHash), attrs.der, publicKey, si.signature.valueBlock.valueHexView);
  } catch {
    ok = false;
  }
  if (!ok) throw invalid('CMS signature does not verify', 'signature');
  const out: SignedContent = { content, signer, certificates };
  if (attrs.signingTime !== undefined) out.signingTime = attrs.signingTime;
  return out;
}
