import { DataFactory } from 'n3';
import type { NamedNode, Quad, Quad_Object } from 'n3';
import {
  formatDateTime,
  isNonNegativeInteger,
  isPositiveInteger,
  isSha256Hex,
  parseDateTime,
} from './lexical.ts';
import { malformed } from './malformed.ts';
import type { CatalogDocument, CatalogImage } from './model.ts';
import { GRAPH_IMAGE_FIELDS, IMAGE_FIELDS } from '../image-fields.ts';
import { GRAPH_DISTRIBUTION_FIELDS } from './image-fields.ts';
import { DCAT, DCTERMS, FOAF, RDF, SPDX, VMIC, XSD } from './vocabulary.ts';

export { quadsToCatalog } from './graph-reader.ts';

// Called through DataFactory rather than destructured (typescript-eslint unbound-method).
const namedNode = (iri: string): NamedNode => DataFactory.namedNode(iri);
const literal = (value: string, datatype?: NamedNode) => DataFactory.literal(value, datatype);
const quad = (s: NamedNode, p: NamedNode, o: Quad_Object): Quad => DataFactory.quad(s, p, o);

/**
 * The catalog as RDF, exactly the shape of docs/design.md §2, without blank nodes (so RDFC-1.0 is
 * plain escaping and sorting, and every node can be named in a signature dispute).
 * The writer refuses values the reader would refuse: publishing a catalog that every site
 * rejects as MALFORMED is a silent outage.
 */
export function catalogToQuads(doc: CatalogDocument): Quad[] {
  checkWritable(doc);
  const out: Quad[] = [];
  const add = (s: NamedNode, p: NamedNode, o: Quad_Object): void => {
    out.push(quad(s, p, o));
  };
  const catalog = namedNode(doc.iri);
  const publisher = namedNode(doc.publisher.iri);

  add(catalog, RDF.type, DCAT.Catalog);
  add(catalog, DCTERMS.title, literal(doc.title));
  add(catalog, DCTERMS.publisher, publisher);
  add(catalog, DCTERMS.issued, literal(formatDateTime(doc.issued), XSD.dateTime));
  add(catalog, VMIC.sequence, literal(String(doc.sequence), XSD.positiveInteger));
  add(catalog, VMIC.expires, literal(formatDateTime(doc.expires), XSD.dateTime));

  add(publisher, RDF.type, FOAF.Agent);
  add(publisher, FOAF.name, literal(doc.publisher.name));
  add(publisher, VMIC.x509Subject, literal(doc.publisher.x509Subject));
  add(publisher, VMIC.x509Issuer, literal(doc.publisher.x509Issuer));

  for (const image of doc.images) {
    const subject = namedNode(image.iri);
    add(catalog, DCAT.dataset, subject);
    addImage(add, subject, image);
  }
  return out;
}

function addImage(
  add: (s: NamedNode, p: NamedNode, o: Quad_Object) => void,
  subject: NamedNode,
  image: CatalogImage,
): void {
  const dist = image.distribution;
  const disk = namedNode(dist.iri);
  const checksum = namedNode(dist.checksumIri);

  add(subject, RDF.type, DCAT.Dataset);
  add(subject, RDF.type, VMIC.Image);
  add(subject, DCTERMS.identifier, literal(image.identifier));
  add(subject, DCTERMS.title, literal(image.title));
  for (const field of GRAPH_IMAGE_FIELDS) {
    const value = image[field];
    if (value !== undefined) add(subject, IMAGE_FIELDS[field].rdf.predicate, literal(value));
  }
  add(subject, DCAT.distribution, disk);

  add(disk, RDF.type, DCAT.Distribution);
  add(disk, DCAT.downloadURL, namedNode(dist.downloadUrl));
  for (const field of GRAPH_DISTRIBUTION_FIELDS) {
    const value = dist[field];
    if (value !== undefined) add(disk, IMAGE_FIELDS[field].rdf.predicate, literal(value));
  }
  add(disk, DCAT.byteSize, literal(String(dist.byteSize), XSD.nonNegativeInteger));
  add(disk, SPDX.checksum, checksum);

  add(checksum, RDF.type, SPDX.Checksum);
  add(checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256);
  add(checksum, SPDX.checksumValue, literal(dist.sha256, XSD.hexBinary));
}

function checkWritable(doc: CatalogDocument): void {
  if (!isPositiveInteger(String(doc.sequence))) {
    throw malformed('vmic:sequence', `sequence must be a positive safe integer: ${doc.sequence}`);
  }
  for (const [rule, date] of [
    ['dcterms:issued', doc.issued],
    ['vmic:expires', doc.expires],
  ] as const) {
    if (Number.isNaN(date.getTime()) || parseDateTime(formatDateTime(date)) === undefined) {
      throw malformed(rule, `${rule} is not a date the reader accepts (years 0001-9999)`);
    }
  }
  const identifiers = new Set<string>();
  for (const image of doc.images) {
    const dist = image.distribution;
    if (identifiers.has(image.identifier)) {
      throw malformed('dcterms:identifier', `duplicate image identifier ${image.identifier}`);
    }
    identifiers.add(image.identifier);
    if (!isNonNegativeInteger(String(dist.byteSize))) {
      throw malformed('dcat:byteSize', `byteSize of ${image.identifier} is not a safe integer ≥ 0`);
    }
    if (!isSha256Hex(dist.sha256)) {
      throw malformed(
        'spdx:checksumValue',
        `sha256 of ${image.identifier} is not 64 lowercase hex`,
      );
    }
  }
}
