import { derToPem } from '../../pki/index.ts';
import type { ListedImage } from '../hepix/index.ts';
import { metadataOfListed } from '../hepix/listed-metadata.ts';
import { metadataColumns } from '../image-fields.ts';
import type { Tx } from '../store/write-transaction.ts';
import { syncSiteImages, type ApplyCounts } from './sync-site-images.ts';
import type { VerifiedImageList } from './verify-hepix.ts';

/**
 * docs/design.md §6 step 10 for a HEPiX list, inside the caller's transaction. `sequence` is
 * this site's own ordinal of the lists applied (hv:version is a dotted string and is kept
 * beside it). An image whose own `dc:date:expires` (AppDB) has passed is not endorsed;
 * one whose expiry is still ahead keeps it in `expires_at`, which the gate checks at
 * decision time (catalog/site/freshness.ts), so that no later silence of the feed keeps
 * it deployable past that date.
 *
 * A list signs SHA-512 only: an image without `sl:checksum:sha256` gets NULL as its SHA-256
 * until a fetch has verified its bytes against the SHA-512 and computed the SHA-256 of the
 * same bytes (catalog/site/fetch-images.ts). A learned SHA-256 is kept while the signed
 * SHA-512 and size stay the same, and dropped when they change: approvals bind to it, so
 * new bytes must never inherit it (threat: swapped bytes under an approved name).
 */
export async function applyImageList(
  tx: Tx,
  subscriptionId: number,
  verified: VerifiedImageList,
  message: Uint8Array,
  at: Date,
): Promise<ApplyCounts & { sequence: number }> {
  const list = verified.list;
  const now = at.toISOString();
  const last = await tx
    .selectFrom('site_catalogs')
    .select('sequence')
    .where('subscription_id', '=', subscriptionId)
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
  const sequence = (last?.sequence ?? 0) + 1;
  await tx
    .insertInto('site_catalogs')
    .values({
      subscription_id: subscriptionId,
      sequence,
      issued_at: list.created.toISOString(),
      expires_at: list.expires.toISOString(),
      content_sha256: verified.contentSha256,
      signer_subject: verified.signer.subject,
      signer_issuer: verified.signer.issuer,
      signer_der: Buffer.from(verified.signer.der),
      chain_pem: verified.chain.map((c) => derToPem(c.der, 'CERTIFICATE')).join(''),
      p7m: Buffer.from(message),
      verified_at: now,
      format: 'hepix',
      list_version: list.version,
      list_identifier: list.identifier,
      conforms_to: list.conformsTo ? JSON.stringify(list.conformsTo) : null,
    })
    .execute();

  const current = list.images.filter((img) => !img.expires || img.expires.getTime() > at.getTime());
  const counts = await syncSiteImages(
    tx,
    subscriptionId,
    sequence,
    current.map((img) => ({
      identifier: img.identifier,
      valuesOf: (old) => {
        const sameBytes = old?.sha512 === img.sha512 && old.byte_size === img.size;
        return { ...rowValues(img), sha256: img.sha256 ?? (sameBytes ? old.sha256 : null) };
      },
    })),
    at,
  );
  return { ...counts, sequence };
}

function rowValues(img: ListedImage) {
  const extra = { ...img.extra, 'sl:comments': img.comments };
  return {
    iri: /^[0-9a-f-]{36}$/i.test(img.identifier) ? `urn:uuid:${img.identifier}` : img.uri,
    ...metadataColumns(metadataOfListed(img)),
    byte_size: img.size,
    sha512: img.sha512,
    extra: JSON.stringify(extra),
    download_url: img.uri,
    expires_at: img.expires ? img.expires.toISOString() : null,
    // As the list signed it; null when absent, so a claim dropped from the next list is gone.
    conforms_to: img.conformsTo ? JSON.stringify(img.conformsTo) : null,
  };
}
