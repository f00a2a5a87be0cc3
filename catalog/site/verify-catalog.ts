import { VmicError } from '../../errors/index.ts';
import {
  cmsVerifySignature,
  dnEquals,
  type CertificateInfo,
  type RevocationPolicy,
} from '../../pki/index.ts';
import type { CatalogDocument } from '../rdf/index.ts';
import { readImportedCatalog } from '../rdf/canonical-check.ts';
import {
  SUBSCRIPTION_PIN_RULES,
  verifySignedDocument,
  type SignedFormat,
  type SignerPin,
} from '../verify/index.ts';
import type { TrustMaterial } from './trust-store.ts';
import { verifyCoSigned } from './verify-cosigned.ts';

export interface CatalogVerificationInput {
  /** The fetched `catalog.p7m` bytes: untrusted. */
  bytes: Uint8Array;
  trust: TrustMaterial;
  revocation: RevocationPolicy;
  /** The subscription's pins; `issuerKeyId` is the CA key learned on the first import. */
  pin: SignerPin;
  /** Reference time, fixed once at the start of the import run. */
  time: Date;
  /** The last catalog this site applied from the same subscription. */
  previous?: { sequence: number; contentSha256: string } | undefined;
  maxCatalogAgeSeconds?: number | undefined;
  /** A co-signed catalog: K distinct signers among these pinned subjects (issue 18). */
  threshold?: { k: number; subjects: string[] } | undefined;
}

export interface VerifiedCatalog {
  document: CatalogDocument;
  content: Uint8Array;
  contentSha256: string;
  signer: CertificateInfo;
  chain: CertificateInfo[];
  /** Same sequence and same content as the previous import: nothing to apply. */
  unchanged: boolean;
  /** A co-signed catalog: every signer counted towards the threshold, publisher first. */
  coSigners?: string[];
}

/**
 * docs/design.md §6 steps 2–9, in order, as a pure function: bytes, trust material, pins, the
 * previous state and a time in; the verified catalog out, or a VmicError with the code of
 * the first step that failed. Step 1 (fetch) and step 10 (apply) are the caller's.
 */
export async function verifyCatalog(input: CatalogVerificationInput): Promise<VerifiedCatalog> {
  if (input.threshold) return verifyCoSigned(input, input.threshold, catalogFormat(input));
  // Steps 2–3: exactly one signer, signature over the content, no weak algorithm.
  const signed = await cmsVerifySignature({ cms: input.bytes });
  // Steps 4–9: the shared pipeline, with the catalog's own content, dates and sequence.
  return verifySignedDocument({
    ...input,
    signed,
    pinRules: SUBSCRIPTION_PIN_RULES,
    format: catalogFormat(input),
  });
}

export function catalogFormat(input: CatalogVerificationInput): SignedFormat<CatalogDocument> {
  const previous = input.previous;
  return {
    read: readCatalog,
    freshness: (doc) => ({
      kind: 'validity',
      issued: doc.issued,
      expires: doc.expires,
      maxAgeSeconds: input.maxCatalogAgeSeconds,
      rules: { what: 'catalog', issued: 'dcterms:issued', expires: 'vmic:expires' },
    }),
    order: (doc) => ({
      kind: 'sequence',
      label: 'sequence',
      rule: 'vmic:sequence',
      current: doc.sequence,
      previous: previous && { value: previous.sequence, contentSha256: previous.contentSha256 },
      compare: () => {
        const last = previous?.sequence ?? -Infinity;
        return doc.sequence < last ? -1 : doc.sequence === last ? 0 : 1;
      },
    }),
  };
}

/**
 * Step 7: the signed content is canonical N-Quads of a well-formed catalog, and the
 * catalog names the same signer.
 */
export async function readCatalog(content: Uint8Array, signer: CertificateInfo) {
  const document = await readImportedCatalog(content);
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
  return document;
}
