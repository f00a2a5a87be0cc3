export { toTurtle, parseTurtle } from './turtle.ts';
export { toJsonLd, parseJsonLd } from './json-ld.ts';

/** Media types of the catalog's RDF forms (docs/design.md §4 content negotiation). */
export const MEDIA_TYPES = {
  turtle: 'text/turtle',
  nquads: 'application/n-quads',
  jsonld: 'application/ld+json',
} as const;
