import type { Quad } from 'n3';
import { malformed } from './malformed.ts';
import type { CatalogDocument, CatalogImage } from './model.ts';
import { GRAPH_IMAGE_FIELDS, IMAGE_FIELDS } from '../image-fields.ts';
import { GRAPH_DISTRIBUTION_FIELDS } from './image-fields.ts';
import { DCAT, DCTERMS, FOAF, RDF, SPDX, VMIC, XSD } from './vocabulary.ts';
import { indexBySubject, type Objects } from './graph-index.ts';
import { SubjectReader } from './subject-reader.ts';
import {
  distributionsOf,
  readConformsTo,
  readDerivation,
  readSbom,
  readSha256,
} from './image-parts-reader.ts';

export { TypedNodeIndex, Objects, type ReadTerm, type ReadQuad } from './graph-index.ts';

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
    ...withClaims(readConformsTo(catalogIri, catalog)),
  };
}

function withClaims(claims: string[] | undefined): { conformsTo?: string[] } {
  return claims ? { conformsTo: claims } : {};
}

function readImage(read: SubjectReader, iri: string): CatalogImage {
  const image = read.subject(iri, DCAT.Dataset, DCAT.dataset);
  if (!image.has(RDF.type, VMIC.Image)) {
    throw malformed('rdf:type', `dataset ${iri} is not a vmic:Image`);
  }
  const { diskIri, sbomIri } = distributionsOf(read, iri, image);
  const disk = read.subject(diskIri, DCAT.Distribution, DCAT.distribution);
  const checksumIri = read.iri(diskIri, disk, SPDX.checksum);
  const sha256 = readSha256(read, checksumIri);

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
  if (sbomIri !== undefined) result.sbom = readSbom(read, sbomIri);
  const claims = readConformsTo(iri, image);
  if (claims) result.conformsTo = claims;
  const from = readDerivation(read, iri, image);
  if (from) result.derivedFrom = from;
  return result;
}
