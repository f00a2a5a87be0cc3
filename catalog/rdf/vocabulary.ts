import { DataFactory } from 'n3';
import type { NamedNode } from 'n3';

/** A namespace IRI, a factory for any term in it, and the terms vmic uses as constants. */
export type Vocabulary<T extends string> = {
  readonly ns: string;
  term(local: string): NamedNode;
} & { readonly [K in T]: NamedNode };

function vocabulary<const T extends string>(ns: string, terms: readonly T[]): Vocabulary<T> {
  const term = (local: string): NamedNode => DataFactory.namedNode(ns + local);
  const constants = Object.fromEntries(terms.map((t) => [t, term(t)])) as { [K in T]: NamedNode };
  return Object.freeze({ ns, term, ...constants });
}

export const RDF = vocabulary('http://www.w3.org/1999/02/22-rdf-syntax-ns#', [
  'type',
  'langString',
]);

export const XSD = vocabulary('http://www.w3.org/2001/XMLSchema#', [
  'string',
  'dateTime',
  'positiveInteger',
  'nonNegativeInteger',
  'hexBinary',
]);

export const DCAT = vocabulary('http://www.w3.org/ns/dcat#', [
  'Catalog',
  'Dataset',
  'Distribution',
  'dataset',
  'distribution',
  'downloadURL',
  'byteSize',
  'version',
  'mediaType',
]);

export const PROV = vocabulary('http://www.w3.org/ns/prov#', [
  'wasDerivedFrom',
  'qualifiedDerivation',
  'Derivation',
  'entity',
]);

/** IANA media type IRIs (DCAT 3 names `dcat:mediaType` values by them). */
export const IANA_MEDIA_TYPES = 'https://www.iana.org/assignments/media-types/';

export const DCTERMS = vocabulary('http://purl.org/dc/terms/', [
  'title',
  'description',
  'publisher',
  'issued',
  'identifier',
  'format',
  'conformsTo',
]);

export const SPDX = vocabulary('http://spdx.org/rdf/terms#', [
  'Checksum',
  'checksum',
  'algorithm',
  'checksumValue',
  'checksumAlgorithm_sha256',
]);

export const FOAF = vocabulary('http://xmlns.com/foaf/0.1/', ['Agent', 'name']);

export const VMIC = vocabulary('https://w3id.org/vmic/ns#', [
  'Image',
  'sequence',
  'expires',
  'x509Subject',
  'x509Issuer',
  'osFamily',
  'osName',
  'osVersion',
  'arch',
  'hypervisor',
  'upstreamCatalog',
  'upstreamSequence',
  'upstreamCatalogSha256',
]);

/** Prefixes used in Turtle output and in the shipped JSON-LD context (docs/design.md §2). */
export const PREFIXES = {
  dcat: DCAT.ns,
  dcterms: DCTERMS.ns,
  spdx: SPDX.ns,
  xsd: XSD.ns,
  vmic: VMIC.ns,
  foaf: FOAF.ns,
  prov: PROV.ns,
} as const;
