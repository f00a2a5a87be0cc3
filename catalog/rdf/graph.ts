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
import type { CatalogDocument, CatalogImage, Derivation, SbomDistribution } from './model.ts';
import { GRAPH_IMAGE_FIELDS, IMAGE_FIELDS } from '../image-fields.ts';
import { GRAPH_DISTRIBUTION_FIELDS } from './image-fields.ts';
import { DCAT, DCTERMS, FOAF, IANA_MEDIA_TYPES, PROV, RDF, SPDX, VMIC, XSD } from './vocabulary.ts';

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
  const catalog = namedNode(doc.iri);
  const out: Quad[] = [...catalogHeadQuads(doc, catalog), ...publisherQuads(doc)];
  for (const image of doc.images) {
    const subject = namedNode(image.iri);
    out.push(quad(catalog, DCAT.dataset, subject), ...imageQuads(image, subject));
    out.push(...diskQuads(image), ...checksumQuads(image));
    for (const group of imageExtras(image)) out.push(...group.quads());
  }
  return out;
}

/** One subject's statements, built when asked for: a large catalog is never all quads at once. */
export interface SubjectGroup {
  /** The subject's IRI: every quad of the group has it as subject. */
  readonly iri: string;
  quads(): Quad[];
}

/**
 * The same graph as `catalogToQuads`, a subject at a time, in document order: the catalog
 * (with every `dcat:dataset`), the publisher, then each image, its disk and its checksum.
 * Streaming writers (publish) hold one subject's quads at a time instead of the whole graph
 * (threat: a 100,000-image catalog needing gigabytes of quad objects).
 */
export function* catalogSubjects(doc: CatalogDocument): Generator<SubjectGroup> {
  checkWritable(doc);
  const catalog = namedNode(doc.iri);
  yield {
    iri: doc.iri,
    quads: () => [
      ...catalogHeadQuads(doc, catalog),
      ...doc.images.map((image) => quad(catalog, DCAT.dataset, namedNode(image.iri))),
    ],
  };
  yield { iri: doc.publisher.iri, quads: () => publisherQuads(doc) };
  for (const image of doc.images) {
    yield { iri: image.iri, quads: () => imageQuads(image, namedNode(image.iri)) };
    yield { iri: image.distribution.iri, quads: () => diskQuads(image) };
    yield { iri: image.distribution.checksumIri, quads: () => checksumQuads(image) };
    yield* imageExtras(image);
  }
}

/** The nodes an image may add to its own three: its inventory and its derivation. */
function imageExtras(image: CatalogImage): SubjectGroup[] {
  const out: SubjectGroup[] = [];
  const sbom = image.sbom;
  if (sbom) {
    out.push({ iri: sbom.iri, quads: () => sbomQuads(sbom) });
    out.push({
      iri: sbom.checksumIri,
      quads: () => sha256Quads(sbom.checksumIri, sbom.sha256),
    });
  }
  const from = image.derivedFrom;
  if (from) out.push({ iri: from.iri, quads: () => derivationQuads(from) });
  return out;
}

function sbomQuads(sbom: SbomDistribution): Quad[] {
  const node = namedNode(sbom.iri);
  return [
    quad(node, RDF.type, DCAT.Distribution),
    quad(node, DCAT.downloadURL, namedNode(sbom.downloadUrl)),
    quad(node, DCAT.mediaType, namedNode(IANA_MEDIA_TYPES + sbom.mediaType)),
    quad(node, DCAT.byteSize, literal(String(sbom.byteSize), XSD.nonNegativeInteger)),
    quad(node, SPDX.checksum, namedNode(sbom.checksumIri)),
  ];
}

function derivationQuads(d: Derivation): Quad[] {
  const node = namedNode(d.iri);
  return [
    quad(node, RDF.type, PROV.Derivation),
    quad(node, PROV.entity, namedNode(d.image)),
    quad(node, VMIC.upstreamCatalog, namedNode(d.catalog)),
    quad(node, VMIC.upstreamSequence, literal(String(d.sequence), XSD.positiveInteger)),
    quad(node, VMIC.upstreamCatalogSha256, literal(d.catalogSha256, XSD.hexBinary)),
    quad(node, VMIC.x509Subject, literal(d.x509Subject)),
    quad(node, VMIC.x509Issuer, literal(d.x509Issuer)),
  ];
}

function catalogHeadQuads(doc: CatalogDocument, catalog: NamedNode): Quad[] {
  return [
    quad(catalog, RDF.type, DCAT.Catalog),
    quad(catalog, DCTERMS.title, literal(doc.title)),
    quad(catalog, DCTERMS.publisher, namedNode(doc.publisher.iri)),
    quad(catalog, DCTERMS.issued, literal(formatDateTime(doc.issued), XSD.dateTime)),
    quad(catalog, VMIC.sequence, literal(String(doc.sequence), XSD.positiveInteger)),
    quad(catalog, VMIC.expires, literal(formatDateTime(doc.expires), XSD.dateTime)),
    ...(doc.conformsTo ?? []).map((iri) => quad(catalog, DCTERMS.conformsTo, namedNode(iri))),
  ];
}

function publisherQuads(doc: CatalogDocument): Quad[] {
  const publisher = namedNode(doc.publisher.iri);
  return [
    quad(publisher, RDF.type, FOAF.Agent),
    quad(publisher, FOAF.name, literal(doc.publisher.name)),
    quad(publisher, VMIC.x509Subject, literal(doc.publisher.x509Subject)),
    quad(publisher, VMIC.x509Issuer, literal(doc.publisher.x509Issuer)),
  ];
}

function imageQuads(image: CatalogImage, subject: NamedNode): Quad[] {
  const out = [
    quad(subject, RDF.type, DCAT.Dataset),
    quad(subject, RDF.type, VMIC.Image),
    quad(subject, DCTERMS.identifier, literal(image.identifier)),
    quad(subject, DCTERMS.title, literal(image.title)),
  ];
  for (const field of GRAPH_IMAGE_FIELDS) {
    const value = image[field];
    if (value !== undefined)
      out.push(quad(subject, IMAGE_FIELDS[field].rdf.predicate, literal(value)));
  }
  out.push(quad(subject, DCAT.distribution, namedNode(image.distribution.iri)));
  if (image.sbom) out.push(quad(subject, DCAT.distribution, namedNode(image.sbom.iri)));
  for (const iri of image.conformsTo ?? [])
    out.push(quad(subject, DCTERMS.conformsTo, namedNode(iri)));
  if (image.derivedFrom) {
    out.push(quad(subject, PROV.wasDerivedFrom, namedNode(image.derivedFrom.image)));
    out.push(quad(subject, PROV.qualifiedDerivation, namedNode(image.derivedFrom.iri)));
  }
  return out;
}

function diskQuads(image: CatalogImage): Quad[] {
  const dist = image.distribution;
  const disk = namedNode(dist.iri);
  const out = [
    quad(disk, RDF.type, DCAT.Distribution),
    quad(disk, DCAT.downloadURL, namedNode(dist.downloadUrl)),
  ];
  for (const field of GRAPH_DISTRIBUTION_FIELDS) {
    const value = dist[field];
    if (value !== undefined)
      out.push(quad(disk, IMAGE_FIELDS[field].rdf.predicate, literal(value)));
  }
  out.push(quad(disk, DCAT.byteSize, literal(String(dist.byteSize), XSD.nonNegativeInteger)));
  out.push(quad(disk, SPDX.checksum, namedNode(dist.checksumIri)));
  return out;
}

function checksumQuads(image: CatalogImage): Quad[] {
  return sha256Quads(image.distribution.checksumIri, image.distribution.sha256);
}

function sha256Quads(iri: string, sha256: string): Quad[] {
  const checksum = namedNode(iri);
  return [
    quad(checksum, RDF.type, SPDX.Checksum),
    quad(checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256),
    quad(checksum, SPDX.checksumValue, literal(sha256, XSD.hexBinary)),
  ];
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
    if (image.sbom && !isSha256Hex(image.sbom.sha256))
      throw malformed(
        'spdx:checksumValue',
        `SBOM sha256 of ${image.identifier} is not 64 lowercase hex`,
      );
    const from = image.derivedFrom;
    if (from && (!isPositiveInteger(String(from.sequence)) || !isSha256Hex(from.catalogSha256)))
      throw malformed(
        'vmic:upstreamSequence',
        `the derivation of ${image.identifier} is not readable`,
      );
  }
}
