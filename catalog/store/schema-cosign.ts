import type { Generated } from 'kysely';

/** A co-signer of an endorser's catalogs (migration 0021). */
export interface EndorserCosignerTable {
  id: Generated<number>;
  endorser_id: number;
  name: string;
  subject: string;
  issuer: string;
  certificate_pem: string;
  chain_pem: string;
  /** PKCS#8 sealed with the master key; empty for a token key or an external signer. */
  sealed_key: Uint8Array;
  key_uri: string | null;
  /** 1: no key here; the signer uploads a detached CMS made elsewhere. */
  external: number;
  added_at: string;
}

/** A catalog signed by fewer than its endorser's threshold; not served (migration 0021). */
export interface PendingCatalogTable {
  id: Generated<number>;
  endorser_id: number;
  /** Reserved: publish refuses while the endorser has a pending catalog. */
  sequence: number;
  /** The signatures needed, fixed when the catalog was made. */
  threshold: number;
  issued_at: string;
  expires_at: string;
  image_count: number;
  /** The canonical N-Quads in the blob store; what every signature covers. */
  nquads_sha256: string;
  nquads_size: number;
  /** The HEPiX image list, signed by the endorser alone at publish. */
  image_list: Uint8Array;
  created_by: string;
  created_at: string;
}

export interface PendingCatalogSignatureTable {
  id: Generated<number>;
  pending_id: number;
  signer: string;
  cosigner_id: number | null;
  subject: string;
  certificate_sha256: string;
  /** Detached CMS SignedData with one SignerInfo and its certificates, DER. */
  cms: Uint8Array;
  signed_by: string;
  signed_at: string;
}

export interface CosignTables {
  endorser_cosigners: EndorserCosignerTable;
  pending_catalogs: PendingCatalogTable;
  pending_catalog_signatures: PendingCatalogSignatureTable;
}
