import type { Generated } from 'kysely';

/** Row types of the instance database. Times are ISO 8601 UTC strings; hashes are lowercase hex. */
export interface EndorserTable {
  id: Generated<number>;
  name: string;
  title: string;
  certificate_pem: string;
  chain_pem: string;
  /** PKCS#8 private key sealed with the instance master key (AES-256-GCM); never leaves the server. */
  sealed_key: Uint8Array;
  subject: string;
  issuer: string;
  created_at: string;
}

export interface ImageTable {
  id: Generated<number>;
  endorser_id: number;
  identifier: string;
  title: string;
  description: string | null;
  version: string | null;
  os_family: string | null;
  os_name: string | null;
  os_version: string | null;
  arch: string | null;
  hypervisor: string | null;
  format: string | null;
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
  nquads: string;
  turtle: string;
  jsonld: string;
  p7m: Uint8Array;
  p7s: Uint8Array;
  content_sha256: string;
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

export interface Database {
  instance_meta: InstanceMetaTable;
  endorsers: EndorserTable;
  images: ImageTable;
  blobs: BlobTable;
  catalog_versions: CatalogVersionTable;
  audit_log: AuditTable;
  api_tokens: TokenTable;
}
