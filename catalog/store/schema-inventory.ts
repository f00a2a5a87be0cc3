import type { Generated } from 'kysely';

/** A software inventory the site fetched for a signed SBOM SHA-256 (migration 0023). */
export interface SiteSbomTable {
  sha256: string;
  media_type: string;
  byte_size: number;
  /** `verified`: bytes equal the signed ones; `quarantined`: other bytes were served; `unreadable`: verified, but no inventory to read. */
  state: 'verified' | 'quarantined' | 'unreadable';
  reason: string | null;
  /** SHA-256 of the bytes served instead (quarantined). */
  actual_sha256: string | null;
  /** The verified document; null unless verified or unreadable. */
  document: Uint8Array | null;
  format: 'cyclonedx' | 'spdx' | null;
  package_count: Generated<number>;
  source_url: string;
  updated_at: string;
}

/** One package of a verified inventory (migration 0023). */
export interface SiteInventoryPackageTable {
  id: Generated<number>;
  sbom_sha256: string;
  purl: string | null;
  /** Lowercased purl type; null: the SBOM named the package without a (valid) purl. */
  type: string | null;
  namespace: string | null;
  name: string;
  /** Lowercased name: what search and the deny-package rule look up. */
  name_key: string;
  version: string | null;
}

export interface InventoryTables {
  site_sboms: SiteSbomTable;
  site_inventory_packages: SiteInventoryPackageTable;
}
