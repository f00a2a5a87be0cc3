import {
  GRAPH_IMAGE_FIELDS,
  IMAGE_FIELD_KEYS,
  IMAGE_FIELDS,
  type ImageMetadata,
} from '../image-fields.ts';
import type { CatalogImage, DistributionField } from './model.ts';

/** Fields stated on the distribution node (catalog/image-fields.ts `rdf.on`). */
export const GRAPH_DISTRIBUTION_FIELDS = IMAGE_FIELD_KEYS.filter(
  (k): k is DistributionField => IMAGE_FIELDS[k].rdf.on === 'distribution',
);

/** An image's descriptive fields as the graph states them (image and distribution nodes). */
export function metadataOfGraph(img: CatalogImage): ImageMetadata {
  const out: ImageMetadata = { title: img.title };
  for (const k of GRAPH_IMAGE_FIELDS) if (img[k] !== undefined) out[k] = img[k];
  for (const k of GRAPH_DISTRIBUTION_FIELDS) {
    const v = img.distribution[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
