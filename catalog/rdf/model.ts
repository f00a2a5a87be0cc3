import type { GraphImageField, OptionalImageField } from '../image-fields.ts';

/**
 * The neutral shape of a catalog (docs/design.md §2). Untrusted graphs are converted into this
 * shape by `quadsToCatalog` before any policy looks at them.
 */
export interface CatalogDocument {
  /** e.g. `${publicUrl}/feeds/${endorser}/catalog` */
  iri: string;
  title: string;
  /** Serialised as xsd:dateTime with second precision in UTC ('Z'). */
  issued: Date;
  /** xsd:positiveInteger, strictly increasing per endorser (rollback defence, §6 step 9). */
  sequence: number;
  expires: Date;
  publisher: CatalogPublisher;
  /** Order is irrelevant: the graph is a set. */
  images: CatalogImage[];
  /**
   * Policies every image of the catalog conforms to (`dcterms:conformsTo` on the catalog):
   * IRIs, sorted, no duplicates; absent when none is claimed.
   */
  conformsTo?: string[];
}

export interface CatalogPublisher {
  iri: string;
  name: string;
  /** RFC 4514 string, compared with the CMS signer (§6 step 6). */
  x509Subject: string;
  x509Issuer: string;
}

/** The optional descriptive fields come from catalog/image-fields.ts (`rdf.on`). */
export type CatalogImage = {
  /** `${publicUrl}/feeds/${endorser}/images/${identifier}` */
  iri: string;
  /** Stable across versions of this image. */
  identifier: string;
  title: string;
  distribution: CatalogDistribution;
  /** The image's software inventory, a second `dcat:distribution` (SPDX or CycloneDX JSON). */
  sbom?: SbomDistribution;
  /** Policies this image conforms to (`dcterms:conformsTo`): IRIs, sorted, no duplicates. */
  conformsTo?: string[];
  /** Where an adopted image comes from (PROV-O, docs/design.md §2): another signed catalog. */
  derivedFrom?: Derivation;
} & { [K in GraphImageField]?: string };

/** The two inventory formats a catalog may carry, as IANA media types. */
export const SBOM_MEDIA_TYPES = [
  'application/spdx+json',
  'application/vnd.cyclonedx+json',
] as const;
export type SbomMediaType = (typeof SBOM_MEDIA_TYPES)[number];

export interface SbomDistribution {
  /** image iri + '#sbom' */
  iri: string;
  downloadUrl: string;
  byteSize: number;
  /** Lowercase hex: the signature covers the inventory through this. */
  sha256: string;
  /** image iri + '#sbom-sha256' */
  checksumIri: string;
  mediaType: SbomMediaType;
}

/**
 * `prov:wasDerivedFrom` the upstream image, qualified (`prov:qualifiedDerivation`) by the
 * upstream catalog it was endorsed in: which version, the SHA-256 of that `catalog.p7m`,
 * and who signed it. Enough for a site to fetch and check the upstream claim itself.
 */
export interface Derivation {
  /** image iri + '#derivation' */
  iri: string;
  /** The upstream image IRI (`prov:entity`). */
  image: string;
  /** The upstream catalog IRI. */
  catalog: string;
  sequence: number;
  /** SHA-256 of the upstream `catalog.p7m` bytes, lowercase hex. */
  catalogSha256: string;
  x509Subject: string;
  x509Issuer: string;
}

export type CatalogDistribution = {
  /** image iri + '#disk' */
  iri: string;
  downloadUrl: string;
  byteSize: number;
  /** Lowercase hex. */
  sha256: string;
  /** image iri + '#sha256' */
  checksumIri: string;
} & { [K in DistributionField]?: string };

/** Descriptive fields stated on the distribution (the disk), e.g. its format. */
export type DistributionField = Exclude<OptionalImageField, GraphImageField>;

/**
 * The signed fields of a derivation kept as JSON (images.derived_from, site_images.derived_from):
 * a row may hold more (where an adoption is held here), which never reaches a catalog or an
 * answer.
 */
export function signedDerivation(json: string): Omit<Derivation, 'iri'> {
  const d = JSON.parse(json) as Derivation;
  return {
    image: d.image,
    catalog: d.catalog,
    sequence: d.sequence,
    catalogSha256: d.catalogSha256,
    x509Subject: d.x509Subject,
    x509Issuer: d.x509Issuer,
  };
}
