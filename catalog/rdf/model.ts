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
} & { [K in GraphImageField]?: string };

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
