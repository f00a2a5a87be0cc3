import type { NamedNode, Quad } from 'n3';
import { isNonNegativeInteger, isPositiveInteger, isSha256Hex, parseDateTime } from './lexical.ts';
import { malformed } from './malformed.ts';
import { checkIriLength, checkTextLength, IMPORT_LIMITS } from './import-limits.ts';
import type { CatalogDocument, CatalogImage } from './model.ts';
import { GRAPH_IMAGE_FIELDS, IMAGE_FIELDS } from '../image-fields.ts';
import { GRAPH_DISTRIBUTION_FIELDS } from './image-fields.ts';
import { DCAT, DCTERMS, FOAF, PREFIXES, RDF, SPDX, VMIC, XSD } from './vocabulary.ts';
import { indexBySubject, type Objects, type ReadTerm } from './graph-index.ts';

export { TypedNodeIndex, Objects, type ReadTerm, type ReadQuad } from './graph-index.ts';

/** `dcterms:title` for an IRI under a known prefix: the rule names in MALFORMED errors. */
function curie(iri: string): string {
  for (const [prefix, ns] of Object.entries(PREFIXES)) {
    if (iri.startsWith(ns)) return `${prefix}:${iri.slice(ns.length)}`;
  }
  return iri === RDF.type.value ? 'rdf:type' : iri;
}

/**
 * Strict reader for imported catalogs (docs/design.md §6 step 7). The graph is attacker-shaped
 * until proven otherwise: every property the site relies on must be present exactly once
 * with the datatype of §2, so that no two readers can see different values in one signed
 * graph. Unknown extra triples are ignored (they are signed, but carry no meaning to us).
 */
export function quadsToCatalog(quads: readonly Quad[]): CatalogDocument {
  return catalogFromGraph(indexBySubject(quads));
}

/** The same reader over a graph already indexed by subject (see `TypedNodeIndex`). */
export function catalogFromGraph(graph: Map<string, Objects>): CatalogDocument {
  const catalogs: [string, Objects][] = [];
  for (const node of graph) if (node[1].has(RDF.type, DCAT.Catalog)) catalogs.push(node);
  if (catalogs.length !== 1) {
    throw malformed('dcat:Catalog', `expected exactly one dcat:Catalog, found ${catalogs.length}`);
  }
  const [catalogIri, catalog] = catalogs[0]!;
  const read = new SubjectReader(graph);

  const publisherIri = read.iri(catalogIri, catalog, DCTERMS.publisher);
  const publisher = read.subject(publisherIri, FOAF.Agent, DCTERMS.publisher);
  const images: CatalogImage[] = [];
  const identifiers = new Set<string>();
  for (const dataset of catalog.all(DCAT.dataset.value)) {
    if (dataset.termType !== 'NamedNode') {
      throw malformed('dcat:dataset', `dcat:dataset of ${catalogIri} must be an IRI`);
    }
    const image = readImage(read, dataset.value);
    if (identifiers.has(image.identifier)) {
      throw malformed('dcterms:identifier', `duplicate image identifier ${image.identifier}`);
    }
    identifiers.add(image.identifier);
    images.push(image);
  }

  return {
    iri: catalogIri,
    title: read.string(catalogIri, catalog, DCTERMS.title),
    issued: read.dateTime(catalogIri, catalog, DCTERMS.issued),
    sequence: read.integer(catalogIri, catalog, VMIC.sequence, XSD.positiveInteger),
    expires: read.dateTime(catalogIri, catalog, VMIC.expires),
    publisher: {
      iri: publisherIri,
      name: read.string(publisherIri, publisher, FOAF.name),
      x509Subject: read.string(publisherIri, publisher, VMIC.x509Subject),
      x509Issuer: read.string(publisherIri, publisher, VMIC.x509Issuer),
    },
    images,
  };
}

function readImage(read: SubjectReader, iri: string): CatalogImage {
  const image = read.subject(iri, DCAT.Dataset, DCAT.dataset);
  if (!image.has(RDF.type, VMIC.Image)) {
    throw malformed('rdf:type', `dataset ${iri} is not a vmic:Image`);
  }
  const diskIri = read.iri(iri, image, DCAT.distribution);
  const disk = read.subject(diskIri, DCAT.Distribution, DCAT.distribution);
  const checksumIri = read.iri(diskIri, disk, SPDX.checksum);
  const checksum = read.subject(checksumIri, SPDX.Checksum, SPDX.checksum);

  // An allow-list of one: a catalog naming another algorithm (or SHA-1) pins nothing we check.
  if (read.iri(checksumIri, checksum, SPDX.algorithm) !== SPDX.checksumAlgorithm_sha256.value) {
    throw malformed(
      'spdx:algorithm',
      `checksum ${checksumIri} is not spdx:checksumAlgorithm_sha256`,
    );
  }
  const sha256 = read.typed(checksumIri, checksum, SPDX.checksumValue, XSD.hexBinary);
  if (!isSha256Hex(sha256)) {
    throw malformed('spdx:checksumValue', `checksum ${checksumIri} is not 64 lowercase hex digits`);
  }

  const result: CatalogImage = {
    iri,
    identifier: read.string(iri, image, DCTERMS.identifier),
    title: read.string(iri, image, DCTERMS.title),
    distribution: {
      iri: diskIri,
      downloadUrl: read.iri(diskIri, disk, DCAT.downloadURL),
      byteSize: read.integer(diskIri, disk, DCAT.byteSize, XSD.nonNegativeInteger),
      sha256,
      checksumIri,
    },
  };
  for (const field of GRAPH_IMAGE_FIELDS) {
    const value = read.optionalString(iri, image, IMAGE_FIELDS[field].rdf.predicate);
    if (value !== undefined) result[field] = value;
  }
  for (const field of GRAPH_DISTRIBUTION_FIELDS) {
    const value = read.optionalString(diskIri, disk, IMAGE_FIELDS[field].rdf.predicate);
    if (value !== undefined) result.distribution[field] = value;
  }
  return result;
}

class SubjectReader {
  constructor(private readonly graph: Map<string, Objects>) {}

  /** The properties of a node that must exist and carry `type`; `via` names the link. */
  subject(iri: string, type: NamedNode, via: NamedNode): Objects {
    const objects = this.graph.get(iri);
    if (objects === undefined || !objects.has(RDF.type, type)) {
      throw malformed(
        curie(via.value),
        `${iri} (via ${curie(via.value)}) is not a ${curie(type.value)}`,
      );
    }
    return objects;
  }

  one(iri: string, objects: Objects, predicate: NamedNode): ReadTerm {
    const optional = this.optional(iri, objects, predicate);
    if (optional === undefined) {
      throw malformed(curie(predicate.value), `${iri} has no ${curie(predicate.value)}`);
    }
    return optional;
  }

  optional(iri: string, objects: Objects, predicate: NamedNode): ReadTerm | undefined {
    const { count, first } = objects.lookup(predicate.value);
    if (count > 1) {
      throw malformed(
        curie(predicate.value),
        `${iri} has ${count} values of ${curie(predicate.value)}`,
      );
    }
    return first;
  }

  iri(iri: string, objects: Objects, predicate: NamedNode): string {
    const term = this.one(iri, objects, predicate);
    if (term.termType !== 'NamedNode') {
      throw malformed(curie(predicate.value), `${curie(predicate.value)} of ${iri} must be an IRI`);
    }
    // The rule name is built only for the refusal: this runs for every IRI of the catalog.
    if (term.value.length <= IMPORT_LIMITS.iriChars) return term.value;
    return checkIriLength(curie(predicate.value), iri, term.value);
  }

  typed(iri: string, objects: Objects, predicate: NamedNode, datatype: NamedNode): string {
    return this.literal(iri, predicate, this.one(iri, objects, predicate), datatype);
  }

  string(iri: string, objects: Objects, predicate: NamedNode): string {
    return this.typed(iri, objects, predicate, XSD.string);
  }

  optionalString(iri: string, objects: Objects, predicate: NamedNode): string | undefined {
    const term = this.optional(iri, objects, predicate);
    return term === undefined ? undefined : this.literal(iri, predicate, term, XSD.string);
  }

  integer(iri: string, objects: Objects, predicate: NamedNode, datatype: NamedNode): number {
    const lexical = this.typed(iri, objects, predicate, datatype);
    const valid = datatype.equals(XSD.positiveInteger)
      ? isPositiveInteger(lexical)
      : isNonNegativeInteger(lexical);
    if (!valid) {
      throw malformed(
        curie(predicate.value),
        `${curie(predicate.value)} of ${iri} is not a valid ${curie(datatype.value)}: "${lexical}"`,
      );
    }
    return Number(lexical);
  }

  dateTime(iri: string, objects: Objects, predicate: NamedNode): Date {
    const lexical = this.typed(iri, objects, predicate, XSD.dateTime);
    const date = parseDateTime(lexical);
    if (date === undefined) {
      throw malformed(
        curie(predicate.value),
        `${curie(predicate.value)} of ${iri} is not a valid xsd:dateTime: "${lexical}"`,
      );
    }
    return date;
  }

  private literal(iri: string, predicate: NamedNode, term: ReadTerm, datatype: NamedNode): string {
    if (term.termType !== 'Literal' || term.datatype?.value !== datatype.value) {
      throw malformed(
        curie(predicate.value),
        `${curie(predicate.value)} of ${iri} must be a ${curie(datatype.value)} literal`,
      );
    }
    // The bound publish applies to every text field (threat: a 50 MB title filling the
    // site database and every page that shows it).
    if (term.value.length <= IMPORT_LIMITS.textChars) return term.value;
    return checkTextLength(curie(predicate.value), iri, term.value);
  }
}
