export type {
  CatalogDocument,
  CatalogImage,
  CatalogDistribution,
  CatalogPublisher,
} from './model.ts';
export { DCAT, DCTERMS, SPDX, XSD, VMIC, FOAF, RDF, PREFIXES } from './vocabulary.ts';
export type { Vocabulary } from './vocabulary.ts';
export { catalogToQuads, quadsToCatalog } from './graph.ts';
export { canonicalNQuads, parseNQuads, parseCanonicalCatalog } from './canonical.ts';
export { toTurtle, toJsonLd, parseTurtle, parseJsonLd, MEDIA_TYPES } from './serialise.ts';
export { VMIC_CONTEXT } from './json-ld-context.ts';
