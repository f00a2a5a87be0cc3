import { derToPem } from '../../pki/index.ts';
import type { Tx } from '../store/write-transaction.ts';
import type { CatalogImage } from '../rdf/index.ts';
import { metadataOfGraph } from '../rdf/image-fields.ts';
import { metadataColumns } from '../image-fields.ts';
import type { VerifiedCatalog } from './verify-catalog.ts';
import { syncSiteImages, type ApplyCounts } from './sync-site-images.ts';

export type { ApplyCounts };

/**
 * docs/design.md §6 step 10, inside the caller's transaction: record the verified version and
 * make the site's image list equal to it. An image absent from the catalog is withdrawn
 * (no longer endorsed); its row stays so that the gate can say why.
 */
export async function applyCatalog(
  tx: Tx,
  subscriptionId: number,
  verified: VerifiedCatalog,
  p7m: Uint8Array,
  at: Date,
): Promise<ApplyCounts> {
  const doc = verified.document;
  const now = at.toISOString();
  await tx
    .insertInto('site_catalogs')
    .values({
      subscription_id: subscriptionId,
      sequence: doc.sequence,
      issued_at: doc.issued.toISOString(),
      expires_at: doc.expires.toISOString(),
      content_sha256: verified.contentSha256,
      signer_subject: verified.signer.subject,
      signer_issuer: verified.signer.issuer,
      signer_der: view(verified.signer.der),
      chain_pem: verified.chain.map((c) => derToPem(c.der, 'CERTIFICATE')).join(''),
      p7m: view(p7m),
      verified_at: now,
      conforms_to: doc.conformsTo ? JSON.stringify(doc.conformsTo) : null,
    })
    .execute();

  return syncSiteImages(
    tx,
    subscriptionId,
    doc.sequence,
    doc.images.map((img) => ({ identifier: img.identifier, valuesOf: () => rowValues(img) })),
    at,
  );
}

/** The bytes as a Buffer without copying them (the feed can be tens of MiB). */
function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function rowValues(img: CatalogImage) {
  return {
    iri: img.iri,
    ...metadataColumns(metadataOfGraph(img)),
    byte_size: img.distribution.byteSize,
    sha256: img.distribution.sha256,
    download_url: img.distribution.downloadUrl,
    ...chainValues(img),
  };
}

/**
 * Inventory, policy claims and provenance as the catalog signed them; null when absent,
 * so that a later version that drops one clears it (threat: a withdrawn claim lingering).
 */
function chainValues(img: CatalogImage) {
  return {
    sbom_sha256: img.sbom?.sha256 ?? null,
    sbom_media_type: img.sbom?.mediaType ?? null,
    sbom_byte_size: img.sbom?.byteSize ?? null,
    sbom_url: img.sbom?.downloadUrl ?? null,
    conforms_to: img.conformsTo ? JSON.stringify(img.conformsTo) : null,
    derived_from: img.derivedFrom ? JSON.stringify(img.derivedFrom) : null,
  };
}
