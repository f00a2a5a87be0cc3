import type { Tx } from '../store/write-transaction.ts';
import type { CatalogDocument } from '../rdf/model.ts';
import type { SitePolicy } from './policy.ts';
import type { TrustMaterial } from './trust-store.ts';
import { verifyCatalog } from './verify-catalog.ts';
import { applyCatalog, type ApplyCounts } from './apply-catalog.ts';
import { verifyImageList } from './verify-hepix.ts';
import { applyImageList } from './apply-hepix.ts';
import type { HeldCatalog } from './freshness.ts';
import { issuerOf, type IssuerIdentity } from '../verify/index.ts';
import type { SubscriptionRow } from './import-types.ts';

/** A fetched feed after every check passed (steps 2–9), by format: RDF catalog or HEPiX list. */
export interface VerifiedFeed {
  unchanged: boolean;
  /** The CA that issued the signer, from the validated chain. */
  issuer: IssuerIdentity;
  /** The signed sequence (RDF); undefined for HEPiX, whose ordinal is assigned on apply. */
  sequence: number | undefined;
  listVersion: string | undefined;
  /** The verified catalog (RDF only): what the provenance check reads. */
  document?: CatalogDocument;
  details: Record<string, unknown>;
  apply(tx: Tx): Promise<{ counts: ApplyCounts; sequence: number }>;
}

export type ImportContext = { time: Date; policy: SitePolicy; trust: TrustMaterial };

/** The subject pinned at subscribe time; the issuer typed then, or learned on first use. */
function pinOf(sub: SubscriptionRow) {
  return {
    subject: sub.expect_subject,
    issuer: sub.expect_issuer ?? sub.pinned_issuer ?? undefined,
    issuerKeyId: sub.pinned_issuer_key ?? undefined,
  };
}
export type PreviousRow = HeldCatalog & {
  content_sha256: string;
  list_version: string | null;
  list_identifier: string | null;
};

export async function verifiedCatalog(
  body: Buffer,
  sub: SubscriptionRow,
  ctx: ImportContext,
  previous: PreviousRow | undefined,
): Promise<VerifiedFeed> {
  const verified = await verifyCatalog({
    bytes: body,
    trust: ctx.trust,
    revocation: ctx.policy.revocation,
    pin: pinOf(sub),
    time: ctx.time,
    previous: previous
      ? { sequence: previous.sequence, contentSha256: previous.content_sha256 }
      : undefined,
    maxCatalogAgeSeconds: ctx.policy.maxCatalogAgeSeconds,
    ...(sub.expect_signers !== null && sub.expect_subjects !== null
      ? {
          threshold: {
            k: sub.expect_signers,
            subjects: JSON.parse(sub.expect_subjects) as string[],
          },
        }
      : {}),
  });
  return {
    unchanged: verified.unchanged,
    issuer: issuerOf(verified.chain),
    sequence: verified.document.sequence,
    listVersion: undefined,
    document: verified.document,
    details: {
      contentSha256: verified.contentSha256,
      signer: verified.signer.subject,
      ...(verified.coSigners ? { coSigners: verified.coSigners } : {}),
      expires: verified.document.expires.toISOString(),
    },
    apply: async (tx) => ({
      counts: await applyCatalog(tx, sub.id, verified, body, ctx.time),
      sequence: verified.document.sequence,
    }),
  };
}

export async function verifiedList(
  body: Buffer,
  sub: SubscriptionRow,
  ctx: ImportContext,
  previous: PreviousRow | undefined,
): Promise<VerifiedFeed> {
  const verified = await verifyImageList({
    bytes: body,
    trust: ctx.trust,
    revocation: ctx.policy.revocation,
    pin: pinOf(sub),
    time: ctx.time,
    previous:
      previous?.list_version != null && previous.list_identifier !== null
        ? {
            version: previous.list_version,
            identifier: previous.list_identifier,
            contentSha256: previous.content_sha256,
          }
        : undefined,
    maxCatalogAgeSeconds: ctx.policy.maxCatalogAgeSeconds,
    ...(sub.expect_signers !== null && sub.expect_subjects !== null
      ? {
          threshold: {
            k: sub.expect_signers,
            subjects: JSON.parse(sub.expect_subjects) as string[],
          },
        }
      : {}),
  });
  return {
    unchanged: verified.unchanged,
    issuer: issuerOf(verified.chain),
    sequence: undefined,
    listVersion: verified.list.version,
    details: {
      listIdentifier: verified.list.identifier,
      contentSha256: verified.contentSha256,
      signer: verified.signer.subject,
      expires: verified.list.expires.toISOString(),
    },
    apply: async (tx) => {
      const { sequence, ...counts } = await applyImageList(tx, sub.id, verified, body, ctx.time);
      return { counts, sequence };
    },
  };
}
