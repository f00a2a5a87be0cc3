import {
  HEPIX_IMAGE_FIELDS,
  hepixOf,
  type HepixImageField,
  type ImageMetadata,
} from '../image-fields.ts';
import type { ListedImage } from './model.ts';

/** The descriptive fields of a HEPiX image as vmic keeps them: `""` (HEPiX for "none") is absent. */
export function metadataOfListed(img: ListedImage): ImageMetadata {
  const out: ImageMetadata = { title: img.title };
  for (const field of HEPIX_IMAGE_FIELDS) {
    const value = img[field];
    if (field !== 'title' && value !== undefined && value !== '') out[field] = value;
  }
  return out;
}

/** The other way, for a list written from a catalog: required keys get `""` when absent. */
export function listedFieldsOf(m: ImageMetadata): Pick<ListedImage, HepixImageField> {
  const out: Record<string, string | undefined> = {};
  for (const field of HEPIX_IMAGE_FIELDS) {
    out[field] = hepixOf(field).required ? (m[field] ?? '') : m[field];
  }
  // HEPiX has one OS key (`sl:os`): the family stands in when no OS name is given.
  out.osName = m.osName ?? m.osFamily ?? '';
  return out as Pick<ListedImage, HepixImageField>;
}
