import { describeCertificate } from '../../pki/index.ts';
import { encodeContentInfo, signedDataOverDigest } from '../../pki/cms-sign.ts';
import type { Instance } from '../instance.ts';
import type { Signer } from '../endorsers.ts';
import type { Tx } from '../store/write-transaction.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { ingestChunks } from '../blobs/chunks.ts';
import { canonicalNQuadsChunks } from '../rdf/canonical-stream.ts';
import { catalogSubjects } from '../rdf/graph.ts';
import type { PreparedVersion } from '../publish-document.ts';
import { adoptBlob, type PublishedVersion } from '../publish-commit.ts';

/**
 * A publish under a threshold K > 1 (docs/design.md §3, co-signed catalogs): the canonical
 * N-Quads go into the blob store (with a `blobs` row: kept until published or discarded),
 * the endorser signs them at once (one detached SignerInfo), and a pending_catalogs row
 * holds the sequence, the times and the signed HEPiX list. No catalog_versions row, no
 * log leaf: nothing is served until K signatures complete it (cosign/sign.ts). The
 * endorser has at most one pending catalog, and publish refuses while it exists, so the
 * reserved sequence cannot be taken by another version.
 */
export async function createPendingCatalog(
  inst: Instance,
  tx: Tx,
  input: {
    endorser: string;
    version: PreparedVersion;
    threshold: number;
    signer: Signer;
    actor: string;
    stored: (sha256: string) => void;
  },
): Promise<PublishedVersion> {
  const v = input.version;
  const nquads = await ingestChunks(inst.blobs, canonicalNQuadsChunks(catalogSubjects(v.doc)));
  input.stored(nquads.sha256);
  await adoptBlob(tx, inst.now(), nquads);
  const cms = encodeContentInfo(
    await signedDataOverDigest({
      signer: { certificate: input.signer.certificate, privateKey: input.signer.privateKey },
      chain: input.signer.chain,
      signingTime: v.issued,
      sha256: Buffer.from(nquads.sha256, 'hex'),
    }),
  );
  const now = inst.now().toISOString();
  const pending = await tx
    .insertInto('pending_catalogs')
    .values({
      endorser_id: v.endorserId,
      sequence: v.sequence,
      threshold: input.threshold,
      issued_at: v.issued.toISOString(),
      expires_at: v.expires.toISOString(),
      image_count: v.imageCount,
      nquads_sha256: nquads.sha256,
      nquads_size: nquads.size,
      image_list: v.signedImageList,
      created_by: input.actor,
      created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await tx
    .insertInto('pending_catalog_signatures')
    .values({
      pending_id: pending.id,
      signer: input.endorser,
      cosigner_id: null,
      subject: input.signer.subject,
      certificate_sha256: describeCertificate(input.signer.certificate).fingerprintSha256,
      cms,
      signed_by: input.actor,
      signed_at: now,
    })
    .execute();
  await appendAudit(tx, {
    at: inst.now(),
    actor: input.actor,
    action: 'catalog.pending',
    subject: input.endorser,
    details: {
      sequence: v.sequence,
      imageCount: v.imageCount,
      threshold: input.threshold,
      contentSha256: nquads.sha256,
    },
  });
  return {
    endorser: input.endorser,
    sequence: v.sequence,
    issuedAt: v.issued.toISOString(),
    expiresAt: v.expires.toISOString(),
    imageCount: v.imageCount,
    contentSha256: nquads.sha256,
    pending: { threshold: input.threshold, signers: [input.endorser], needed: input.threshold - 1 },
  };
}
