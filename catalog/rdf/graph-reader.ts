import type { NamedNode, Quad, Term } from 'n3';
import { isNonNegativeInteger, isPositiveInteger, isSha256Hex, parseDateTime } from './lexical.ts';
import { malformed } from './malformed.ts';
import { checkIriLength, checkTextLength } from './import-limits.ts';
import type { CatalogDocument, CatalogImage } from './model.ts';
import { GRAPH_IMAGE_FIELDS, IMAGE_FIELDS } from '../image-fields.ts';
import { GRAPH_DISTRIBUTION_FIELDS } from './image-fields.ts';
import { DCAT, DCTERMS, FOAF, PREFIXES, RDF, SPDX, VMIC, XSD } from './vocabulary.ts';

export type Objects = Map<string, Term[]>;

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
  const catalogs = [...graph].filter(([, p]) => hasObject(p, RDF.type, DCAT.Catalog));
  if (catalogs.length !== 1) {
    throw malformed('dcat:Catalog', `expected exactly one dcat:Catalog, found ${catalogs.length}`);
  }
  const [catalogIri, catalog] = catalogs[0]!;
  const read = new SubjectReader(graph);

  const publisherIri = read.iri(catalogIri, catalog, DCTERMS.publisher);
  const publisher = read.subject(publisherIri, FOAF.Agent, DCTERMS.publisher);
  const images: CatalogImage[] = [];
  const identifiers = new Set<string>();
  for (const dataset of catalog.get(DCAT.dataset.value) ?? []) {
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
  if (!hasObject(image, RDF.type, VMIC.Image)) {
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

/** The structural rules every statement of a catalog graph must meet. */
function checkStatement(q: Quad): void {
  // No blank nodes (§2): they cannot be named in a dispute, and graphs of them are the
  // only inputs for which RDFC-1.0 does expensive work ("poison" graphs).
  if (q.subject.termType === 'BlankNode' || q.object.termType === 'BlankNode') {
    throw malformed('blankNode', 'the catalog graph must not contain blank nodes');
  }
  if (q.graph.termType !== 'DefaultGraph') {
    throw malformed('graph', 'the catalog must be in the default graph only');
  }
  if (q.subject.termType !== 'NamedNode' || q.predicate.termType !== 'NamedNode') {
    throw malformed('rdf:Statement', 'subjects and predicates must be IRIs');
  }
}

function addObject(objects: Objects, q: Quad): void {
  const list = objects.get(q.predicate.value);
  if (list === undefined) objects.set(q.predicate.value, [q.object]);
  else list.push(q.object);
}

function indexBySubject(quads: readonly Quad[]): Map<string, Objects> {
  const graph = new Map<string, Objects>();
  for (const q of quads) {
    checkStatement(q);
    let objects = graph.get(q.subject.value);
    if (objects === undefined) graph.set(q.subject.value, (objects = new Map<string, Term[]>()));
    addObject(objects, q);
  }
  return graph;
}

/** The node types the reader follows; a node with none of them is never read. */
const READ_TYPES = [DCAT.Catalog, FOAF.Agent, DCAT.Dataset, DCAT.Distribution, SPDX.Checksum];

/**
 * The subject index, built one statement at a time from canonical N-Quads, keeping only
 * nodes the reader can reach: every node it reads must carry one of `READ_TYPES`, so an
 * untyped node (however many statements a hostile feed gives it) is dropped as soon as
 * its statements end. In canonical (sorted) N-Quads all statements of a subject are
 * adjacent; input where they are not is refused as not canonical before the reader runs.
 */
export class TypedNodeIndex {
  readonly graph = new Map<string, Objects>();
  private subject: string | undefined;
  private objects: Objects = new Map();

  add(q: Quad): void {
    checkStatement(q);
    if (q.subject.value !== this.subject) {
      this.flush();
      this.subject = q.subject.value;
      this.objects = this.graph.get(this.subject) ?? new Map<string, Term[]>();
    }
    addObject(this.objects, q);
  }

  finish(): Map<string, Objects> {
    this.flush();
    return this.graph;
  }

  private flush(): void {
    if (this.subject === undefined) return;
    if (READ_TYPES.some((type) => hasObject(this.objects, RDF.type, type)))
      this.graph.set(this.subject, this.objects);
    this.subject = undefined;
    this.objects = new Map();
  }
}

function hasObject(objects: Objects, predicate: NamedNode, object: NamedNode): boolean {
  return (objects.get(predicate.value) ?? []).some((o) => o.equals(object));
}

class SubjectReader {
  constructor(private readonly graph: Map<string, Objects>) {}

  /** The properties of a node that must exist and carry `type`; `via` names the link. */
  subject(iri: string, type: NamedNode, via: NamedNode): Objects {
    const objects = this.graph.get(iri);
    if (objects === undefined || !hasObject(objects, RDF.type, type)) {
      throw malformed(
        curie(via.value),
        `${iri} (via ${curie(via.value)}) is not a ${curie(type.value)}`,
      );
    }
    return objects;
  }

  one(iri: string, objects: Objects, predicate: NamedNode): Term {
    const optional = this.optional(iri, objects, predicate);
    if (optional === undefined) {
      throw malformed(curie(predicate.value), `${iri} has no ${curie(predicate.value)}`);
    }
    return optional;
  }

  optional(iri: string, objects: Objects, predicate: NamedNode): Term | undefined {
    const values = objects.get(predicate.value);
    if (values !== undefined && values.length > 1) {
      throw malformed(
        curie(predicate.value),
        `${iri} has ${values.length} values of ${curie(predicate.value)}`,
      );
    }
    return values?.[0];
  }

  iri(iri: string, objects: Objects, predicate: NamedNode): string {
    const term = this.one(iri, objects, predicate);
    if (term.termType !== 'NamedNode') {
      throw malformed(curie(predicate.value), `${curie(predicate.value)} of ${iri} must be an IRI`);
    }
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

  private literal(iri: string, predicate: NamedNode, term: Term, datatype: NamedNode): string {
    if (term.termType !== 'Literal' || !term.datatype.equals(datatype)) {
      throw malformed(
        curie(predicate.value),
        `${curie(predicate.value)} of ${iri} must be a ${curie(datatype.value)} literal`,
      );
    }
    // The bound publish applies to every text field (threat: a 50 MB title filling the
    // site database and every page that shows it).
    return checkTextLength(curie(predicate.value), iri, term.value);
  }
}
