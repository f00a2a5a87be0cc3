import type { AuditRecord } from '../audit/audit-log.ts';
import type { ImportScheduleState } from './import-schedule.ts';

/** The overall verdict and the exit code `vmic status` ends with (docs/design.md §11). */
export type Verdict = 'ok' | 'warning' | 'error';
export const VERDICT_EXIT: Record<Verdict, 0 | 1 | 2> = { ok: 0, warning: 1, error: 2 };

/** Marks of a subscription or an endorser's catalog: what needs attention, by name. */
export type CatalogMark = 'expired' | 'near-expiry' | 'too-old' | 'refused' | 'no-catalog';

/** A catalog as the summary shows it: when, and how long until it lapses. */
export interface CatalogTimes {
  sequence: number;
  issuedAt: string;
  expiresAt: string;
  /** Seconds until `expiresAt` at the summary's time; negative once expired. */
  expiresInSeconds: number;
}

/** How a subscription's last import ended, as recorded on the subscription. */
export interface LastImport {
  /** `verified`: applied or unchanged; `not-modified`: the feed answered 304; `refused`. */
  result: 'verified' | 'not-modified' | 'refused';
  /** The reason code of a refusal (docs/design.md §6); absent otherwise. */
  code?: string;
  message: string;
  at: string;
}

export interface SubscriptionHealth {
  name: string;
  enabled: boolean;
  format: 'rdf' | 'hepix';
  /** The newest verified catalog; `ageSeconds` counts from its issue time (max-catalog-age). */
  catalog?: CatalogTimes & { verifiedAt: string; ageSeconds: number };
  lastImport?: LastImport;
  marks: CatalogMark[];
}

/** Site images by state, each decided by the deploy gate's own rules (catalog/site/gate.ts). */
export interface ImageCounts {
  awaitingApproval: number;
  quarantined: number;
  notFetched: number;
  deployable: number;
  /** Endorsed images of enabled subscriptions: the images the four states are counted over. */
  total: number;
}

export interface EndorserHealth {
  name: string;
  catalog?: CatalogTimes;
  /** Images added, changed or withdrawn since the last publish (what publishing would sign). */
  changedSinceLastPublish: number;
  /** A co-signed catalog waiting for signatures (docs/design.md §3): not served until signed. */
  pending?: {
    sequence: number;
    threshold: number;
    signed: number;
    needed: number;
    issuedAt: string;
  };
  marks: CatalogMark[];
}

export interface SiteHealth {
  subscriptions: SubscriptionHealth[];
  images: ImageCounts;
  /** The site image cache: verified images held, and their bytes. */
  cache: { bytes: number; entries: number };
  /** The import run of `vmic serve --import-every`, if this process runs one. */
  schedule: ImportScheduleState | null;
  maxCatalogAgeSeconds: number | undefined;
  /** Forks of endorsers' transparency logs found here (log_evidence): split-view evidence. */
  logForks: number;
  /** Software inventories that did not verify: other bytes served, or nothing readable. */
  inventories?: { quarantined: number; unreadable: number };
}

/** Marks of a certificate this instance signs with: `near-expiry` is within 30 days. */
export type IdentityMark = 'expired' | 'near-expiry';

/** A certificate this instance signs with: an endorser's, or the site identity. */
export interface IdentityHealth {
  kind: 'endorser' | 'site';
  /** The endorser's name; `site` for the site identity. */
  name: string;
  subject: string;
  issuer: string;
  notAfter: string;
  /** Seconds until `notAfter` at the summary's time; negative once expired. */
  expiresInSeconds: number;
  marks: IdentityMark[];
}

export interface HealthSummary {
  at: string;
  verdict: Verdict;
  /** Why the verdict is not `ok`, one line each, worst first. */
  problems: { level: 'warning' | 'error'; text: string }[];
  site?: SiteHealth;
  endorsers: EndorserHealth[];
  /** The certificates of the endorsers and the site identity in scope, with their expiry. */
  identities: IdentityHealth[];
  /** The newest audit entries, newest first (only for readers of the audit log). */
  audit?: AuditRecord[];
}
