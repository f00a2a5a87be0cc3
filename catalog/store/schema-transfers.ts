import type { Generated } from 'kysely';

/** Tables of site-to-site migrations, Export → Transfer → Import (docs/design.md §8; schema migrations 0004, 0008). */
export interface SiteIdentityTable {
  id: number;
  certificate_pem: string;
  chain_pem: string;
  sealed_key: Uint8Array;
  /** A PKCS#11 URI of the key in a token (migration 0018); `sealed_key` is then empty. */
  key_uri: Generated<string | null>;
  subject: string;
  issuer: string;
  updated_at: string;
}

export interface PeerTable {
  id: Generated<number>;
  name: string;
  url: string | null;
  certificate_pem: string | null;
  expect_subject: string;
  created_at: string;
  /** Issuing CA of the peer's certificate: configured, or learned on first verified use (0008). */
  expect_issuer: string | null;
  /** SHA-256 of the issuing CA's SubjectPublicKeyInfo, learned on first verified use (0008). */
  issuer_key_id: string | null;
  issuer_pinned: 'configured' | 'first-use' | null;
}

export interface MigrationTable {
  id: string;
  direction: 'outgoing' | 'incoming';
  peer: string;
  target: string;
  image: string;
  sha256: string;
  byte_size: number;
  state: 'running' | 'done' | 'failed';
  reason_code: string | null;
  reason_message: string | null;
  created_at: string;
  updated_at: string;
  /** The process running this record (catalog/cleanup/process-owner.ts), for crash cleanup (0008). */
  owner: string | null;
  /** The host of `owner` (process-owner.ts hostTag); NULL before migration 0015. */
  host: string | null;
  /** Renewed while running, for other hosts' cleanup (0015); NULL before it. */
  heartbeat_at: string | null;
}

export type StageName = 'export' | 'transfer' | 'import';

export interface MigrationStageTable {
  id: Generated<number>;
  migration_id: string;
  stage: StageName;
  state: 'running' | 'done' | 'failed';
  started_at: string;
  finished_at: string | null;
  reason_code: string | null;
  detail: string;
}

export interface ReceivedNonceTable {
  nonce: string;
  migration_id: string;
  sender: string;
  received_at: string;
}

export interface MigratedKeyTable {
  migration_id: string;
  sender: string;
  sha256: string;
  sealed_key: Uint8Array;
  received_at: string;
}

/** A transfer refused before a migration record existed (the manifest stage), 0008. */
export interface RefusedTransferTable {
  id: Generated<number>;
  at: string;
  code: string;
  rule: string | null;
  message: string;
  via: string;
  /** The sender the transfer claimed (verified signer, else the unverified manifest field). */
  claimed_sender: string | null;
  peer: string | null;
  migration_id: string | null;
  image: string | null;
  sender_verified: Generated<number>;
}

/** A transfer that may resume from its last authenticated chunk (0012). */
export interface TransferResumeTable {
  migration_id: string;
  direction: 'outgoing' | 'incoming';
  sha256: string;
  byte_size: number;
  chunk_bytes: number;
  chunks: number;
  /** The stream salt, base64url, as in the signed manifest. */
  salt: string;
  /** Outgoing: the data key, sealed with the instance's sealing key. */
  sealed_key: Uint8Array | null;
  /** Incoming: chunks whose authenticated plaintext is kept. */
  chunks_held: Generated<number>;
  /** Incoming: the nonce of the manifest that was accepted. */
  nonce: string | null;
  /** Incoming: HMAC-SHA-256 of the migration id under the data key. */
  key_check: string | null;
  /** Incoming: the verified signer. */
  sender: string | null;
  updated_at: string;
}

export interface MigrationTables {
  transfer_resume: TransferResumeTable;
  refused_transfers: RefusedTransferTable;
  site_identity: SiteIdentityTable;
  peers: PeerTable;
  migrations: MigrationTable;
  migration_stages: MigrationStageTable;
  received_nonces: ReceivedNonceTable;
  migrated_keys: MigratedKeyTable;
}
