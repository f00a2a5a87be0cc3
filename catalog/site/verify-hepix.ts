import crypto from 'node:crypto';
import { VmicError } from '../../pki/errors.ts';
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
import type { TrustMaterial } from './trust-store.ts';
import { checkFreshness, checkPinnedSigner, trustedSignerChain } from './signer-checks.ts';

export interface ImageListVerificationInput {
  /** The fetched S/MIME message: untrusted. */
  bytes: Uint8Array;
  trust: TrustMaterial;
  revocation: RevocationPolicy;
  /** The subscription's pins; `issuerKey` is the CA key learned on the first import. */
  pin: { subject: string; issuer?: string | undefined; issuerKey?: string | undefined };
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

  // Steps 4–5: chain to our anchors, then revocation.
  const chain = await trustedSignerChain(signed, input.trust, input.time, input.revocation);
  const signer = signed.signer;

  // Step 6: the signer is the endorser subscribed to.
  checkPinnedSigner(signer, input.pin, chain);

  // Step 7: a well-formed list (every required key) that names its own signer. The slash
  // form of hv:dn / hv:ca is compared as a name, not as a string.
  const list = readImageList(signedBody(signed.content));
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
  // Step 8 (with the creation date's sanity): freshness.
  checkFreshness(
    { issued: list.created, expires: list.expires },
    { time: input.time, maxAgeSeconds: input.maxCatalogAgeSeconds },
    { what: 'list', issued: 'dc:date:created', expires: 'dc:date:expires' },
  );

  // Step 9: the same list as before (threat: another list of the same endorser swapped
  // in), not older (rollback), and one content per version (equivocation).
  const contentSha256 = crypto.createHash('sha256').update(signed.content).digest('hex');
  let unchanged = false;
  const prev = input.previous;
  if (prev) {
    if (list.identifier !== prev.identifier)
      throw new VmicError(
        'SUBJECT_MISMATCH',
        `list ${list.identifier} is not the list ${prev.identifier} this subscription follows`,
        { rule: 'dc:identifier' },
      );
    const order = compareListVersions(list.version, prev.version);
    if (order < 0)
      throw new VmicError(
        'ROLLBACK',
        `hv:version ${list.version} is lower than the last imported ${prev.version}`,
        { rule: 'hv:version' },
      );
    if (order === 0) {
      if (contentSha256 !== prev.contentSha256)
        throw new VmicError(
          'EQUIVOCATION',
          `hv:version ${list.version} was imported before with other content`,
          { rule: 'hv:version' },
        );
      unchanged = true;
    }
  }
  return { list, content: signed.content, contentSha256, signer, chain, unchanged };
}
