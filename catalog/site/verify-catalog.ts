import crypto from 'node:crypto';
import { VmicError } from '../../pki/errors.ts';
import {
  cmsVerifySignature,
  dnEquals,
  type CertificateInfo,
  type RevocationPolicy,
} from '../../pki/index.ts';
import { checkFreshness, checkPinnedSigner, trustedSignerChain } from './signer-checks.ts';
import { parseCanonicalCatalog, type CatalogDocument } from '../rdf/index.ts';
import type { TrustMaterial } from './trust-store.ts';

export interface CatalogVerificationInput {
  /** The fetched `catalog.p7m` bytes: untrusted. */
  bytes: Uint8Array;
  trust: TrustMaterial;
  revocation: RevocationPolicy;
  /** The subscription's pins; `issuerKey` is the CA key learned on the first import. */
  pin: { subject: string; issuer?: string | undefined; issuerKey?: string | undefined };
  /** Reference time, fixed once at the start of the import run. */
  time: Date;
  /** The last catalog this site applied from the same subscription. */
  previous?: { sequence: number; contentSha256: string } | undefined;
  maxCatalogAgeSeconds?: number | undefined;
}

export interface VerifiedCatalog {
  document: CatalogDocument;
  content: Uint8Array;
  contentSha256: string;
  signer: CertificateInfo;
  chain: CertificateInfo[];
  /** Same sequence and same content as the previous import: nothing to apply. */
  unchanged: boolean;
}

/**
 * docs/design.md §6 steps 2–9, in order, as a pure function: bytes, trust material, pins, the
 * previous state and a time in; the verified catalog out, or a VmicError with the code of
 * the first step that failed. Step 1 (fetch) and step 10 (apply) are the caller's.
 */
export async function verifyCatalog(input: CatalogVerificationInput): Promise<VerifiedCatalog> {
  // Steps 2–3: exactly one signer, signature over the content, no weak algorithm.
  const signed = await cmsVerifySignature({ cms: input.bytes });

  // Steps 4–5: chain to our anchors, then revocation.
  const chain = await trustedSignerChain(signed, input.trust, input.time, input.revocation);
  const signer = signed.signer;

  // Step 6: the signer is the endorser this site subscribed to.
  checkPinnedSigner(signer, input.pin, chain);

  // Step 7: the signed content is canonical N-Quads of a well-formed catalog, and the
  // catalog names the same signer.
  const document = await parseCanonicalCatalog(signed.content);
  if (!dnEquals(document.publisher.x509Subject, signer.subject)) {
    throw new VmicError(
      'SUBJECT_MISMATCH',
      `catalog names ${document.publisher.x509Subject} but is signed by ${signer.subject}`,
      { rule: 'vmic:x509Subject' },
    );
  }
  if (!dnEquals(document.publisher.x509Issuer, signer.issuer)) {
    throw new VmicError(
      'SUBJECT_MISMATCH',
      `catalog names issuer ${document.publisher.x509Issuer} but the signer's is ${signer.issuer}`,
      { rule: 'vmic:x509Issuer' },
    );
  }
  // Step 8 (with the issue date's sanity): freshness.
  checkFreshness(
    document,
    { time: input.time, maxAgeSeconds: input.maxCatalogAgeSeconds },
    { what: 'catalog', issued: 'dcterms:issued', expires: 'vmic:expires' },
  );

  // Step 9: rollback and equivocation (threat: an old signed version served again, or
  // two different catalogs under one sequence number).
  const contentSha256 = crypto.createHash('sha256').update(signed.content).digest('hex');
  let unchanged = false;
  if (input.previous) {
    if (document.sequence < input.previous.sequence) {
      throw new VmicError(
        'ROLLBACK',
        `sequence ${document.sequence} is lower than the last imported ${input.previous.sequence}`,
        { rule: 'vmic:sequence' },
      );
    }
    if (document.sequence === input.previous.sequence) {
      if (contentSha256 !== input.previous.contentSha256) {
        throw new VmicError(
          'EQUIVOCATION',
          `sequence ${document.sequence} was imported before with other content`,
          { rule: 'vmic:sequence' },
        );
      }
      unchanged = true;
    }
  }
  return { document, content: signed.content, contentSha256, signer, chain, unchanged };
}
