import type { NamedNode } from 'n3';
import type { OPTIONAL_IMAGE_FIELDS } from './model.ts';
import { DCAT, DCTERMS, VMIC } from './vocabulary.ts';

/** The predicate of each optional string property of an image (docs/design.md §2). */
export const IMAGE_FIELD_PREDICATES: Record<(typeof OPTIONAL_IMAGE_FIELDS)[number], NamedNode> = {
  description: DCTERMS.description,
  version: DCAT.version,
  osFamily: VMIC.osFamily,
  osName: VMIC.osName,
  osVersion: VMIC.osVersion,
  arch: VMIC.arch,
  hypervisor: VMIC.hypervisor,
};
