/** The deploy gate's kept signer check of a subscription's newest catalog (migration 0013). */
export interface GateSignerCheckTable {
  subscription_id: number;
  sequence: number;
  verified_at: string;
  /** Trust store identity and revocation policy the check was made under (signer-checks.ts). */
  trust_generation: string;
  outcome: 'trusted' | 'revoked' | 'refused';
  /** The reason code of a refusal (CERT_EXPIRED, CRL_STALE, ...); NULL when trusted. */
  code: string | null;
  message: string | null;
  /** The window in which the outcome holds (ISO times); NULL is unbounded. */
  valid_from: string | null;
  valid_until: string | null;
  checked_at: string;
}

export interface GateTables {
  gate_signer_checks: GateSignerCheckTable;
}
