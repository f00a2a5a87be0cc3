import type { Generated } from 'kysely';

/**
 * Columns of the chain of trust (migration 0022, issue 19) shared by `images` (what this
 * instance's endorsers sign) and `site_images` (what a verified catalog said). JSON columns
 * hold arrays of IRIs (`conforms_to`) or a derivation object (`derived_from`).
 */
export interface ChainColumns {
  /** The software inventory: SHA-256 (a blob), IANA media type and size; null: none. */
  sbom_sha256: Generated<string | null>;
  sbom_media_type: Generated<string | null>;
  sbom_byte_size: Generated<number | null>;
  /** JSON array of policy IRIs the image conforms to (`dcterms:conformsTo`). */
  conforms_to: Generated<string | null>;
  /** JSON of where an adopted image comes from (PROV-O, catalog/rdf/model.ts Derivation). */
  derived_from: Generated<string | null>;
}
