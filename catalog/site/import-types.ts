import type { ApplyCounts } from './apply-catalog.ts';
import type { LogReport } from './import-log.ts';

/** What one subscription's import came to, as the CLI, the API and the web page report it. */
export interface ImportOutcome {
  subscription: string;
  status: 'applied' | 'unchanged' | 'not-modified' | 'failed';
  sequence?: number;
  counts?: ApplyCounts;
  /** HEPiX subscriptions: the list's `hv:version` (`sequence` is the site's own ordinal). */
  listVersion?: string;
  /** `not-modified`: when a catalog of this feed was last verified (the 304 verifies nothing). */
  lastVerifiedAt?: string;
  /** The issuing CA this import pinned, on the subscription's first verified import. */
  issuerPinned?: { subject: string; key: string };
  /** The transparency check (docs/design.md §13): where the catalog is logged, or, under `warn`, why that failed. */
  log?: LogReport;
  code?: string;
  rule?: string;
  message?: string;
}

/** The subscription columns an import reads. */
export type SubscriptionRow = {
  id: number;
  name: string;
  url: string;
  format: 'rdf' | 'hepix';
  expect_subject: string;
  expect_issuer: string | null;
  etag: string | null;
  last_success_at: string | null;
  pinned_issuer: string | null;
  pinned_issuer_key: string | null;
  log_policy: 'require' | 'warn' | 'off';
  log_key: string | null;
  log_witnesses: string | null;
  log_witness_quorum: number;
  expect_signers: number | null;
  expect_subjects: string | null;
  /** 1: adopted images' upstream catalogs are fetched and verified too (provenance-check.ts). */
  verify_provenance: number;
};
