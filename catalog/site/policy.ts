import { VmicError } from '../../pki/errors.ts';
import type { RevocationPolicy } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import type { Queryable } from '../store/database.ts';

/** A site's verification and fetch policy, stored in the database and changed by admins. */
export interface SitePolicy {
  /** `best-effort`: use every CRL held, stale fails; `require`: no current CRL fails. */
  revocation: RevocationPolicy;
  /** Refuse catalogs issued longer ago than this, even if their own expiry is later. */
  maxCatalogAgeSeconds: number | undefined;
  /** Which images `vmic fetch` downloads. */
  fetchScope: 'endorsed' | 'approved';
  /** Bound on a catalog download (threat: endless data). */
  feedMaxBytes: number;
  /** Bound on one feed request, in milliseconds (threat: slowloris feeds stalling the cron job). */
  feedTimeoutMs: number;
  /** Parallel image downloads. */
  fetchConcurrency: number;
  /**
   * Throughput floor of one image download, bytes per second averaged over
   * `fetchRateWindowSeconds` (threat: a host trickling bytes to hold the fetch lock).
   */
  fetchMinBytesPerSecond: number;
  fetchRateWindowSeconds: number;
  /** Deadline of one image download, in seconds; the partial file is kept for resume. */
  fetchDeadlineSeconds: number;
  /** Accepted distance of a transfer manifest's time from ours, seconds (default 900). */
  transferClockWindowSeconds?: number | undefined;
}

export const DEFAULT_POLICY: SitePolicy = {
  revocation: 'best-effort',
  maxCatalogAgeSeconds: undefined,
  fetchScope: 'endorsed',
  feedMaxBytes: 64 * 1024 * 1024,
  feedTimeoutMs: 60_000,
  fetchConcurrency: 2,
  // 256 KiB/s over a minute: far below any link a site would fetch images over, far above
  // a trickle. 6 h per image: a 64 GiB image needs about 3 MiB/s to finish in one run; on a
  // slower link the partial file is kept and each later run resumes where it stopped.
  fetchMinBytesPerSecond: 256 * 1024,
  fetchRateWindowSeconds: 60,
  fetchDeadlineSeconds: 6 * 3600,
};

type Parser = (text: string) => SitePolicy[keyof SitePolicy];

function positiveInt(max: number): Parser {
  return (text) => {
    if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) {
      throw new VmicError('BAD_REQUEST', `expected an integer between 1 and ${max}`);
    }
    return Number(text);
  };
}

function oneOf(...values: string[]): Parser {
  return (text) => {
    if (!values.includes(text))
      throw new VmicError('BAD_REQUEST', `expected one of ${values.join(', ')}`);
    return text as SitePolicy['revocation'] | SitePolicy['fetchScope'];
  };
}

/** Policy keys as operators write them (`vmic policy set max-catalog-age 604800`). */
export const POLICY_KEYS: Record<
  string,
  { field: keyof SitePolicy; parse: Parser; optional?: boolean }
> = {
  revocation: { field: 'revocation', parse: oneOf('best-effort', 'require') },
  'max-catalog-age': {
    field: 'maxCatalogAgeSeconds',
    parse: positiveInt(10 * 366 * 86400),
    optional: true,
  },
  'fetch-scope': { field: 'fetchScope', parse: oneOf('endorsed', 'approved') },
  'feed-max-bytes': { field: 'feedMaxBytes', parse: positiveInt(1024 ** 3) },
  'feed-timeout-ms': { field: 'feedTimeoutMs', parse: positiveInt(3600_000) },
  'fetch-concurrency': { field: 'fetchConcurrency', parse: positiveInt(16) },
  'fetch-min-rate': { field: 'fetchMinBytesPerSecond', parse: positiveInt(1024 ** 3) },
  'fetch-rate-window': { field: 'fetchRateWindowSeconds', parse: positiveInt(3600) },
  'fetch-deadline': { field: 'fetchDeadlineSeconds', parse: positiveInt(7 * 86400) },
  'transfer-clock-window': {
    field: 'transferClockWindowSeconds',
    parse: positiveInt(7 * 86400),
    optional: true,
  },
};

/** Own keys only: `constructor` or `__proto__` must never look like a policy key. */
export function policyKey(key: string): (typeof POLICY_KEYS)[string] | undefined {
  return Object.hasOwn(POLICY_KEYS, key) ? POLICY_KEYS[key] : undefined;
}

export async function readPolicy(db: Queryable): Promise<SitePolicy> {
  const rows = await db.selectFrom('site_policy').selectAll().execute();
  const policy: Record<string, unknown> = { ...DEFAULT_POLICY };
  for (const row of rows) {
    const key = policyKey(row.key);
    if (key) policy[key.field] = key.parse(row.value);
  }
  return policy as unknown as SitePolicy;
}

/** Sets (or with `value` undefined, resets to the default) one policy key; audited. */
export async function setPolicy(
  inst: Instance,
  key: string,
  value: string | undefined,
  actor: string,
): Promise<SitePolicy> {
  const spec = policyKey(key);
  if (!spec)
    throw new VmicError(
      'BAD_REQUEST',
      `unknown policy key ${key}; known: ${Object.keys(POLICY_KEYS).join(', ')}`,
    );
  if (value !== undefined) {
    try {
      spec.parse(value);
    } catch (e) {
      throw new VmicError('BAD_REQUEST', `${key}: ${(e as Error).message}`);
    }
  }
  return writeTransaction(inst.store, async (tx) => {
    if (value === undefined) await tx.deleteFrom('site_policy').where('key', '=', key).execute();
    else
      await tx
        .insertInto('site_policy')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor,
      action: 'policy.set',
      subject: key,
      details: { value: value ?? null },
    });
    return readPolicy(tx);
  });
}
