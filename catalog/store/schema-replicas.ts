/** Tables of the state that replicas share (migration 0014; issue 15). */

/** Who runs the import, the fetch or the scheduled import now (catalog/site/leases.ts). */
export interface RunLeaseTable {
  name: string;
  holder: string;
  acquired_at: string;
  expires_at: string;
}

/** A SAML AuthnRequest sent and not yet answered (server/web/saml-request-cache.ts). */
export interface SamlRequestTable {
  id: string;
  value: string;
  created_at: string;
  expires_at: string;
}

/** One client address's token bucket (server/api/transfer-rate-limit.ts). */
export interface RateLimitBucketTable {
  key: string;
  /** Tokens left at `updated_ms`; the refill since is computed on the next take. */
  tokens: number;
  updated_ms: number;
}

/** A web admin background run as its page shows it (catalog/site/job-rows.ts). */
export interface WebJobTable {
  id: string;
  job_key: string;
  label: string;
  state: string;
  started_at: string;
  finished_at: string | null;
  progress: string | null;
  result: string | null;
  error: string | null;
  heartbeat_at: string;
}

export interface ReplicaTables {
  run_leases: RunLeaseTable;
  saml_requests: SamlRequestTable;
  rate_limit_buckets: RateLimitBucketTable;
  web_jobs: WebJobTable;
}
