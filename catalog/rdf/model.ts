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

export interface CatalogImage {
  /** `${publicUrl}/feeds/${endorser}/images/${identifier}` */
  iri: string;
  /** Stable across versions of this image. */
  identifier: string;
  title: string;
  description?: string;
  version?: string;
  osFamily?: string;
  osName?: string;
  osVersion?: string;
  arch?: string;
  hypervisor?: string;
  distribution: CatalogDistribution;
}

export interface CatalogDistribution {
  /** image iri + '#disk' */
  iri: string;
  downloadUrl: string;
  format?: string;
  byteSize: number;
  /** Lowercase hex. */
  sha256: string;
  /** image iri + '#sha256' */
  checksumIri: string;
}

/** The optional string properties of an image, in the order they are written. */
export const OPTIONAL_IMAGE_FIELDS = [
  'description',
  'version',
  'osFamily',
  'osName',
  'osVersion',
  'arch',
  'hypervisor',
] as const satisfies readonly (keyof CatalogImage)[];
