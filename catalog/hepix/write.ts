import { HEPIX_IMAGE_FIELDS, hepixOf } from '../image-fields.ts';
import { formatHepixDate } from './dates.ts';
import { CONFORMS_TO, type ImageList, type ListedImage } from './model.ts';

/**
 * The list as JSON, in the key order vmcaster writes. Lines end in LF here; the S/MIME
 * signing step canonicalises them to CRLF (RFC 5751 §3.1.1) before signing.
 */
export function writeImageList(list: ImageList): string {
  const doc = {
    'hv:imagelist': {
      'dc:date:created': formatHepixDate(list.created),
      'dc:date:expires': formatHepixDate(list.expires),
      'dc:description': list.description,
      'dc:identifier': list.identifier,
      'dc:source': list.source,
      'dc:title': list.title,
      ...(list.conformsTo?.length ? { [CONFORMS_TO]: list.conformsTo } : {}),
      'hv:endorser': {
        'hv:x509': {
          'dc:creator': list.endorser.creator,
          'hv:ca': list.endorser.ca,
          'hv:dn': list.endorser.dn,
          'hv:email': list.endorser.email,
        },
      },
      'hv:images': list.images.map((img) => ({ 'hv:image': imageObject(img) })),
      'hv:uri': list.uri,
      'hv:version': list.version,
      ...list.extra,
    },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** vmcaster writes an image's keys sorted; the AppDB expiry and unmapped keys follow. */
function imageObject(img: ListedImage): Record<string, unknown> {
  const keys: [string, unknown][] = [
    ['dc:identifier', img.identifier],
    ['hv:size', img.size],
    ['hv:uri', img.uri],
    ['sl:checksum:sha512', img.sha512],
    ['sl:comments', img.comments],
  ];
  if (img.sha256 !== undefined) keys.push(['sl:checksum:sha256', img.sha256]);
  if (img.conformsTo?.length) keys.push([CONFORMS_TO, img.conformsTo]);
  for (const field of HEPIX_IMAGE_FIELDS) {
    const value = img[field];
    if (value !== undefined) keys.push([hepixOf(field).key, value]);
  }
  keys.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    ...Object.fromEntries(keys),
    ...(img.expires !== undefined ? { 'dc:date:expires': formatHepixDate(img.expires) } : {}),
    ...img.extra,
  };
}
