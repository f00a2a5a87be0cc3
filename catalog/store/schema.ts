import type { GateTables } from './schema-gate.ts';
import type { MigrationTables } from './schema-transfers.ts';
import type { ReplicaTables } from './schema-replicas.ts';
import type { LogTables } from './schema-log.ts';
import type { CosignTables } from './schema-cosign.ts';
import type { InventoryTables } from './schema-inventory.ts';
import type { Generated } from 'kysely';
import type { MetadataColumns } from '../image-fields.ts';
import type { ChainColumns } from './schema-chain.ts';

/** Row types of the instance database. Times are ISO 8601 UTC strings; hashes are lowercase hex. */
export interface EndorserTable {
  id: Generated<number>;
  name: string;
  title: string;
  certificate_pem: string;
  chain_pem: string;
  /** PKCS#8 private key sealed with the instance master key (AES-256-GCM); never leaves the server. */
  sealed_key: Uint8Array;
  /** An RFC 7512 URI of the key in a PKCS#11 token (migration 0018); `sealed_key` is then empty. */
  key_uri: Generated<string | null>;
  subject: string;
  issuer: string;
  created_at: string;
  /** Signatures a catalog needs, the endorser's own included (migration 0021; 1 = alone). */
  signature_threshold: Generated<number>;
  /** JSON array of policy IRIs the whole catalog conforms to (migration 0022). */
  conforms_to: Generated<string | null>;
}

/** The descriptive columns (title, description, os_name, ...) come from catalog/image-fields.ts. */
export interface ImageTable extends MetadataColumns, ChainColumns {
  id: Generated<number>;
  endorser_id: number;
  identifier: string;
  byte_size: number;
  sha256: string;
  sha512: string | null;
  /** External download URL; null means the bytes are in this instance's blob store. */
  download_url: string | null;
  status: 'endorsed' | 'withdrawn';
  created_at: string;
  updated_at: string;
}

export interface BlobTable {
  sha256: string;
  sha512: string | null;
  byte_size: number;
  created_at: string;
}

export interface CatalogVersionTable {
  id: Generated<number>;
  endorser_id: number;
  sequence: number;
  issued_at: string;
  expires_at: string;
  image_count: number;
  /**
   * The files inline, for versions published before migration 0011; '' and empty since,
   * when the `*_sha256` and `*_size` columns name them in the blob store instead.
   */
  nquads: string;
  turtle: string;
  jsonld: string;
  p7m: Uint8Array;
  p7s: Uint8Array;
  content_sha256: string;
  /** The same version as a HEPiX image list, S/MIME signed (migration 0003; null before it). */
  image_list: Uint8Array | null;
  nquads_sha256: Generated<string | null>;
  nquads_size: Generated<number | null>;
  turtle_sha256: Generated<string | null>;
  turtle_size: Generated<number | null>;
  jsonld_sha256: Generated<string | null>;
  jsonld_size: Generated<number | null>;
  p7m_sha256: Generated<string | null>;
  p7m_size: Generated<number | null>;
  p7s_sha256: Generated<string | null>;
  p7s_size: Generated<number | null>;
  image_list_sha256: Generated<string | null>;
  image_list_size: Generated<number | null>;
}

export interface AuditTable {
  seq: Generated<number>;
  at: string;
  actor: string;
  action: string;
  subject: string;
  details: string;
  prev_hash: string;
  hash: string;
}

export interface TokenTable {
  id: string;
  role: string;
  endorser: string | null;
  description: string | null;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

export interface InstanceMetaTable {
  key: string;
  value: string;
}

export interface TrustCertificateTable {
  id: Generated<number>;
  kind: 'anchor' | 'intermediate';
  subject: string;
  issuer: string;
  fingerprint: string;
  not_before: string;
  not_after: string;
  der: Uint8Array;
  added_at: string;
}

export interface TrustCrlTable {
  id: Generated<number>;
  issuer: string;
  issuer_fingerprint: string;
  fingerprint: string;
  crl_number: string | null;
  this_update: string;
  next_update: string | null;
  revoked_count: number;
  der: Uint8Array;
  added_at: string;
}

export interface SitePolicyTable {
  key: string;
  value: string;
}

export interface SubscriptionTable {
  id: Generated<number>;
  name: string;
  url: string;
  expect_subject: string;
  expect_issuer: string | null;
  /** What the feed at `url` is: a vmic RDF catalog (`catalog.p7m`) or a HEPiX image list. */
  format: Generated<'rdf' | 'hepix'>;
  enabled: number;
  etag: string | null;
  created_at: string;
  last_checked_at: string | null;
  last_success_at: string | null;
  last_error_code: string | null;
  last_error_message: string | null;
  last_error_at: string | null;
  /** When the feed last answered `304 Not Modified` (migration 0006; null never). */
  last_not_modified_at: Generated<string | null>;
  /**
   * The issuing CA learned on the first verified import (migration 0007): its subject and
   * `sha256:HEX` of its SubjectPublicKeyInfo. Null until then.
   */
  pinned_issuer: Generated<string | null>;
  pinned_issuer_key: Generated<string | null>;
  pinned_at: Generated<string | null>;
  /** Whether imports need the catalog in the endorser's transparency log (migration 0017). */
  log_policy: Generated<'require' | 'warn' | 'off'>;
  /** The log's verifier key (`name+hash+base64`), pinned at subscribe time or on first use. */
  log_key: Generated<string | null>;
  log_key_source: Generated<'pinned' | 'first-use' | null>;
  log_key_at: Generated<string | null>;
  /** JSON: the witnesses `[{ key, url? }]` whose cosignatures imports need. */
  log_witnesses: Generated<string | null>;
  log_witness_quorum: Generated<number>;
  /** Co-signed catalogs (migration 0020): K distinct signers among `expect_subjects` (JSON). */
  expect_signers: Generated<number | null>;
  expect_subjects: Generated<string | null>;
  /** JSON array of policy IRIs every image must claim (migration 0022; null: none). */
  require_policies: Generated<string | null>;
  /** 1: fetch and verify an adopted image's upstream catalog too (`--verify-provenance`). */
  verify_provenance: Generated<number>;
}

export interface SiteCatalogTable {
  id: Generated<number>;
  subscription_id: number;
  sequence: number;
  issued_at: string;
  expires_at: string;
  content_sha256: string;
  signer_subject: string;
  signer_issuer: string;
  signer_der: Uint8Array;
  chain_pem: string;
  p7m: Uint8Array;
  verified_at: string;
  format: Generated<'rdf' | 'hepix'>;
  /** HEPiX `hv:version` (for `hepix`, `sequence` is this site's own ordinal of the lists). */
  list_version: string | null;
  /** HEPiX `dc:identifier` of the list. */
  list_identifier: string | null;
  /** JSON array of policy IRIs the catalog claims for all its images (migration 0022). */
  conforms_to: Generated<string | null>;
}

export interface SiteImageTable extends MetadataColumns, ChainColumns {
  id: Generated<number>;
  subscription_id: number;
  identifier: string;
  iri: string;
  byte_size: number;
  /**
   * The SHA-256 of the bytes. A HEPiX image signed only by SHA-512 has NULL here until a
   * fetch has checked the SHA-512 and computed the SHA-256 of the same bytes.
   */
  sha256: string | null;
  sha512: string | null;
  /** JSON object of the list's keys without a column (HEPiX `ad:*`, `sl:comments`, ...). */
  extra: string | null;
  download_url: string;
  status: 'endorsed' | 'withdrawn';
  first_sequence: number;
  last_sequence: number;
  updated_at: string;
  /** The image's own expiry (HEPiX `dc:date:expires`), checked by the gate (migration 0006). */
  expires_at: Generated<string | null>;
  /** Where the site fetches the software inventory from (the catalog's SBOM downloadURL). */
  sbom_url: Generated<string | null>;
}

export interface CacheEntryTable {
  sha256: string;
  byte_size: number;
  state: 'verified' | 'quarantined';
  reason: string | null;
  actual_sha256: string | null;
  source: string;
  source_detail: string | null;
  updated_at: string;
  /** SHA-512 of the verified bytes, when the signed list gave one (HEPiX). */
  sha512: string | null;
}

export interface ApprovalTable {
  id: Generated<number>;
  subscription_id: number;
  kind: 'image' | 'endorser';
  identifier: string | null;
  sha256: string | null;
  approved_by: string;
  approved_at: string;
  revoked_by: string | null;
  revoked_at: string | null;
}

export interface Database
  extends MigrationTables, GateTables, ReplicaTables, LogTables, CosignTables, InventoryTables {
  web_sessions: WebSessionTable;
  trust_certificates: TrustCertificateTable;
  trust_crls: TrustCrlTable;
  site_policy: SitePolicyTable;
  subscriptions: SubscriptionTable;
  site_catalogs: SiteCatalogTable;
  site_images: SiteImageTable;
  cache_entries: CacheEntryTable;
  approvals: ApprovalTable;
  instance_meta: InstanceMetaTable;
  endorsers: EndorserTable;
  images: ImageTable;
  blobs: BlobTable;
  catalog_versions: CatalogVersionTable;
  audit_log: AuditTable;
  api_tokens: TokenTable;
}

/** One web admin session; keyed by the SHA-256 of the cookie's session id, never the id itself. */
export interface WebSessionTable {
  sid_hash: string;
  /** The express-session data as JSON (principal, CSRF token, sign-in time, cookie). */
  data: string;
  expires_at: string;
  updated_at: string;
}
