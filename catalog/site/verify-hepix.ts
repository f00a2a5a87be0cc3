import { VmicError } from '../../errors/index.ts';
import {
  cmsVerifySignature,
  dnEquals,
  type CertificateInfo,
  type RevocationPolicy,
} from '../../pki/index.ts';
import {
  compareListVersions,
  parseSignedMime,
  readImageList,
  signedBody,
  type ImageList,
} from '../hepix/index.ts';
import {
  SUBSCRIPTION_PIN_RULES,
  verifySignedDocument,
  type SignedFormat,
  type SignerPin,
} from '../verify/index.ts';
import type { TrustMaterial } from './trust-store.ts';

export interface ImageListVerificationInput {
  /** The fetched S/MIME message: untrusted. */
  bytes: Uint8Array;
  trust: TrustMaterial;
  revocation: RevocationPolicy;
  /** The subscription's pins; `issuerKeyId` is the CA key learned on the first import. */
  pin: SignerPin;
  /** Reference time, fixed once at the start of the import run. */
  time: Date;
  /** The last list this site applied from the same subscription. */
  previous?: { version: string; identifier: string; contentSha256: string } | undefined;
  maxCatalogAgeSeconds?: number | undefined;
}

export interface VerifiedImageList {
  list: ImageList;
  /** The signed bytes (canonical first MIME part). */
  content: Uint8Array;
  contentSha256: string;
  signer: CertificateInfo;
  chain: CertificateInfo[];
  /** Same hv:version and same content as the previous import: nothing to apply. */
  unchanged: boolean;
}

/**
 * docs/design.md §6 steps 2–9 for a HEPiX image list, mapped rule by rule, as a pure function
 * (bytes, trust, pins, previous state and a time in; the verified list out, or the
 * VmicError of the first failing step). Only the bytes the signature covers are parsed.
 */
export async function verifyImageList(
  input: ImageListVerificationInput,
): Promise<VerifiedImageList> {
  // Step 2: S/MIME multipart/signed, one signed part and one detached PKCS#7 signature.
  const mime = parseSignedMime(input.bytes);

  // Step 3: exactly one signer, signature over the canonical first part, no weak algorithm.
  const signed = await cmsVerifySignature({
    cms: mime.signature,
    detachedContent: mime.signedContent,
  });

  // Steps 4–9: the shared pipeline, with the list's own content, dates and version.
  const { document: list, ...verified } = await verifySignedDocument({
    ...input,
    signed,
    pinRules: SUBSCRIPTION_PIN_RULES,
    format: listFormat(input),
  });
  return { list, ...verified };
}

function listFormat(input: ImageListVerificationInput): SignedFormat<ImageList> {
  const prev = input.previous;
  return {
    read: readList,
    // Step 8: dc:date:created and dc:date:expires stand for issued and expires.
    freshness: (list) => ({
      kind: 'validity',
      issued: list.created,
      expires: list.expires,
      maxAgeSeconds: input.maxCatalogAgeSeconds,
      rules: { what: 'list', issued: 'dc:date:created', expires: 'dc:date:expires' },
    }),
    // Step 9: the same list as before (dc:identifier), and hv:version for the sequence.
    order: (list) => ({
      kind: 'sequence',
      label: 'hv:version',
      rule: 'hv:version',
      current: list.version,
      previous: prev && {
        value: prev.version,
        contentSha256: prev.contentSha256,
        series: {
          what: 'list',
          current: list.identifier,
          previous: prev.identifier,
          rule: 'dc:identifier',
        },
      },
      compare: () => compareListVersions(list.version, prev?.version ?? list.version),
    }),
  };
}

/**
 * Step 7: a well-formed list (every required key) that names its own signer. The slash
 * form of hv:dn / hv:ca is compared as a name, not as a string.
 */
function readList(content: Uint8Array, signer: CertificateInfo): ImageList {
  const list = readImageList(signedBody(content));
  if (!dnEquals(list.endorser.dn, signer.subject))
    throw new VmicError(
      'SUBJECT_MISMATCH',
      `list names hv:dn ${list.endorser.dn} but is signed by ${signer.subject}`,
      { rule: 'hv:dn' },
    );
  if (!dnEquals(list.endorser.ca, signer.issuer))
    throw new VmicError(
      'SUBJECT_MISMATCH',
      `list names hv:ca ${list.endorser.ca} but the signer's issuer is ${signer.issuer}`,
      { rule: 'hv:ca' },
    );
  return list;
}
