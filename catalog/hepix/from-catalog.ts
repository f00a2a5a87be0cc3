import crypto from 'node:crypto';
import type { Image } from '../images.ts';
import { listedFieldsOf } from './listed-metadata.ts';
import { toSlashDn } from './dn.ts';
import type { ImageList, ListedImage } from './model.ts';

export interface CatalogForList {
  /** The catalog IRI: the list's `dc:source`, and the seed of its stable `dc:identifier`. */
  catalogIri: string;
  listUrl: string;
  title: string;
  sequence: number;
  issued: Date;
  expires: Date;
  signer: { subject: string; issuer: string };
  images: Image[];
  /** The endorser's claims for every image (`dcterms:conformsTo` on `hv:imagelist`). */
  conformsTo?: string[] | undefined;
}

/**
 * The HEPiX image list of one published catalog version: the same images, `hv:version` =
 * the catalog sequence, `dc:date:expires` = the catalog expiry, the endorser's DN and CA
 * in slash form. Images without a known SHA-512 (registered by URL) cannot be listed: the
 * format requires `sl:checksum:sha512`, and vmcatcher would refuse the whole list.
 */
export function imageListOfCatalog(c: CatalogForList): ImageList {
  return {
    identifier: stableUuid(c.catalogIri),
    title: c.title,
    description: `${c.title}: images endorsed with vmic`,
    source: c.catalogIri,
    version: String(c.sequence),
    uri: c.listUrl,
    created: c.issued,
    expires: c.expires,
    endorser: {
      dn: toSlashDn(c.signer.subject),
      ca: toSlashDn(c.signer.issuer),
      email: '',
      creator: c.title,
    },
    images: c.images.flatMap((img) => (img.sha512 ? [listedImage(img, img.sha512)] : [])),
    ...(c.conformsTo?.length ? { conformsTo: c.conformsTo } : {}),
    extra: {},
  };
}

function listedImage(img: Image, sha512: string): ListedImage {
  return {
    ...listedFieldsOf(img),
    identifier: img.identifier,
    size: img.byteSize,
    sha512,
    sha256: img.sha256,
    uri: img.downloadUrl,
    comments: '',
    expires: undefined,
    ...(img.conformsTo?.length ? { conformsTo: img.conformsTo } : {}),
    extra: {},
  };
}

/** A UUID (RFC 9562 version 8, name-based with SHA-256) that stays the same for one feed. */
function stableUuid(name: string): string {
  const h = crypto.createHash('sha256').update(`vmic image list ${name}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
