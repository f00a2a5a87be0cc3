import { isSha256Hex } from './lexical.ts';
import { malformed } from './malformed.ts';
import { checkIriLength } from './import-limits.ts';
import {
  SBOM_MEDIA_TYPES,
  type Derivation,
  type SbomDistribution,
  type SbomMediaType,
} from './model.ts';
import { DCAT, DCTERMS, IANA_MEDIA_TYPES, PROV, SPDX, VMIC, XSD } from './vocabulary.ts';
import type { Objects } from './graph-index.ts';
import type { SubjectReader } from './subject-reader.ts';

/*
 * The parts of an image node beyond its title and disk (docs/design.md §2): its software
 * inventory, its policy claims and its provenance, read as strictly as the rest.
 */

/**
 * An image's distributions: exactly one disk, and at most one software inventory, told
 * apart by the inventory's `dcat:mediaType` (SPDX or CycloneDX JSON). Anything else is
 * refused: a second disk would let two readers pick different bytes to verify.
 */
export function distributionsOf(
  read: SubjectReader,
  iri: string,
  image: Objects,
): { diskIri: string; sbomIri: string | undefined } {
  const disks: string[] = [];
  const sboms: string[] = [];
  for (const term of image.all(DCAT.distribution.value)) {
    if (term.termType !== 'NamedNode')
      throw malformed('dcat:distribution', `dcat:distribution of ${iri} must be an IRI`);
    const node = read.subject(term.value, DCAT.Distribution, DCAT.distribution);
    const type = read.optionalIri(term.value, node, DCAT.mediaType);
    (type !== undefined && SBOM_TYPE_IRIS.has(type) ? sboms : disks).push(term.value);
  }
  if (disks.length !== 1)
    throw malformed('dcat:distribution', `${iri} has ${disks.length} disk distributions, not 1`);
  if (sboms.length > 1)
    throw malformed('dcat:distribution', `${iri} has ${sboms.length} software inventories`);
  return { diskIri: disks[0]!, sbomIri: sboms[0] };
}

const SBOM_TYPE_IRIS = new Map<string, SbomMediaType>(
  SBOM_MEDIA_TYPES.map((t) => [IANA_MEDIA_TYPES + t, t]),
);

export function readSha256(read: SubjectReader, checksumIri: string): string {
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
  return sha256;
}

export function readSbom(read: SubjectReader, iri: string): SbomDistribution {
  const node = read.subject(iri, DCAT.Distribution, DCAT.distribution);
  const checksumIri = read.iri(iri, node, SPDX.checksum);
  return {
    iri,
    downloadUrl: read.iri(iri, node, DCAT.downloadURL),
    byteSize: read.integer(iri, node, DCAT.byteSize, XSD.nonNegativeInteger),
    sha256: readSha256(read, checksumIri),
    checksumIri,
    mediaType: SBOM_TYPE_IRIS.get(read.iri(iri, node, DCAT.mediaType))!,
  };
}

/** At most this many policy claims on one image or on the catalog. */
export const MAX_CLAIMS = 16;

/** `dcterms:conformsTo` IRIs, sorted and distinct; undefined when there are none. */
export function readConformsTo(iri: string, node: Objects): string[] | undefined {
  const terms = node.all(DCTERMS.conformsTo.value);
  if (terms.length === 0) return undefined;
  if (terms.length > MAX_CLAIMS)
    throw malformed(
      'dcterms:conformsTo',
      `${iri} claims ${terms.length} policies (at most ${MAX_CLAIMS})`,
    );
  const out = new Set<string>();
  for (const t of terms) {
    if (t.termType !== 'NamedNode')
      throw malformed('dcterms:conformsTo', `dcterms:conformsTo of ${iri} must be an IRI`);
    out.add(checkIriLength('dcterms:conformsTo', iri, t.value));
  }
  return [...out].sort();
}

/**
 * PROV-O: `prov:wasDerivedFrom` and its qualification must both be there and name the same
 * upstream image (threat: two readers of one signed graph seeing two origins).
 */
export function readDerivation(
  read: SubjectReader,
  iri: string,
  image: Objects,
): Derivation | undefined {
  const plain = read.optionalIri(iri, image, PROV.wasDerivedFrom);
  const qualified = read.optionalIri(iri, image, PROV.qualifiedDerivation);
  if (plain === undefined && qualified === undefined) return undefined;
  if (plain === undefined || qualified === undefined)
    throw malformed(
      'prov:qualifiedDerivation',
      `${iri} states prov:wasDerivedFrom and prov:qualifiedDerivation only together`,
    );
  const node = read.subject(qualified, PROV.Derivation, PROV.qualifiedDerivation);
  const entity = read.iri(qualified, node, PROV.entity);
  if (entity !== plain)
    throw malformed(
      'prov:entity',
      `${qualified} names ${entity}, not the prov:wasDerivedFrom ${plain}`,
    );
  const catalogSha256 = read.typed(qualified, node, VMIC.upstreamCatalogSha256, XSD.hexBinary);
  if (!isSha256Hex(catalogSha256))
    throw malformed('vmic:upstreamCatalogSha256', `${qualified}: not 64 lowercase hex digits`);
  return {
    iri: qualified,
    image: entity,
    catalog: read.iri(qualified, node, VMIC.upstreamCatalog),
    sequence: read.integer(qualified, node, VMIC.upstreamSequence, XSD.positiveInteger),
    catalogSha256,
    x509Subject: read.string(qualified, node, VMIC.x509Subject),
    x509Issuer: read.string(qualified, node, VMIC.x509Issuer),
  };
}
