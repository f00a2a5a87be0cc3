import { VmicError } from '../../errors/index.ts';
import { writeThenRefreshFeed } from './approval-feed.ts';
import type { RevocationPolicy } from '../../pki/index.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import type { Queryable } from '../store/database.ts';
import { checkQuorumSubscriptions } from './quorum-policy.ts';
import { parsePolicyValue, policyKey, policyValueProblem, POLICY_KEYS } from './policy-schema.ts';
import { addDenyRules, removeDenyRule } from './inventory/deny-rules.ts';

export { POLICY_KEYS, policyKey } from './policy-schema.ts';

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
  /**
   * Lifetime of a signed approval feed, seconds (default 1 h): a compute node refuses an
   * older one, so a feed withheld or replayed by an attacker stops being usable this soon.
   */
  approvalFeedTtlSeconds: number;
  /** Which deployable images `vmic glance sync` puts into Glance: `all`, or `sub1,sub2`. */
  glanceScope: string;
  /** What becomes of a synced image that stops being deployable. */
  glanceWithdrawn: 'deactivate' | 'delete';
  /** The Glance visibility of synced images. */
  glanceVisibility: 'private' | 'shared' | 'community' | 'public';
  /**
   * `K of a,b,c` (quorum-policy.ts): an image of one of these subscriptions is deployable
   * only when at least K of them endorse its SHA-256 in a current catalog.
   */
  endorsementQuorum?: string | undefined;
  /** Distinct approvers an approval needs before it counts (1: one person, as before). */
  approvalQuorum: number;
  /** `deny-package` rules, one a line (inventory/deny-rules.ts); the gate refuses what they name. */
  denyPackages?: string | undefined;
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
  approvalFeedTtlSeconds: 3600,
  glanceScope: 'all',
  glanceWithdrawn: 'deactivate',
  glanceVisibility: 'private',
  endorsementQuorum: undefined,
  approvalQuorum: 1,
  denyPackages: undefined,
};

export async function readPolicy(db: Queryable): Promise<SitePolicy> {
  const rows = await db.selectFrom('site_policy').selectAll().execute();
  const policy: Record<string, unknown> = { ...DEFAULT_POLICY };
  for (const row of rows) {
    const key = policyKey(row.key);
    if (key) policy[key.field] = parsePolicyValue(key, row.value);
  }
  return policy as unknown as SitePolicy;
}

/** Sets (or with `value` undefined, resets to the default) one policy key; audited. */
export async function setPolicy(
  inst: Instance,
  key: string,
  value: string | undefined,
  actor: string,
  opts: { removeRule?: boolean } = {},
): Promise<SitePolicy> {
  const spec = policyKey(key);
  if (!spec)
    throw new VmicError(
      'BAD_REQUEST',
      `unknown policy key ${key}; known: ${Object.keys(POLICY_KEYS).join(', ')}`,
    );
  const problem = value === undefined ? undefined : policyValueProblem(spec, value);
  if (problem !== undefined) throw new VmicError('BAD_REQUEST', `${key}: ${problem}`);
  return writeThenRefreshFeed(inst, async (tx) => {
    if (key === 'endorsement-quorum' && value !== undefined)
      await checkQuorumSubscriptions(tx, value);
    const stored =
      key === 'deny-package' && value !== undefined
        ? await denyPackageValue(tx, value, opts.removeRule === true)
        : value;
    if (stored === undefined) await tx.deleteFrom('site_policy').where('key', '=', key).execute();
    else
      await tx
        .insertInto('site_policy')
        .values({ key, value: stored })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: stored }))
        .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor,
      action: 'policy.set',
      subject: key,
      details: {
        value: stored ?? null,
        ...(key === 'deny-package'
          ? { rule: value ?? null, removed: opts.removeRule === true }
          : {}),
      },
    });
    return readPolicy(tx);
  });
}

/** deny-package is a list (inventory/deny-rules.ts): a value adds its rule; with `remove`, removes it. */
async function denyPackageValue(
  tx: Queryable,
  rule: string,
  remove: boolean,
): Promise<string | undefined> {
  const row = await tx
    .selectFrom('site_policy')
    .select('value')
    .where('key', '=', 'deny-package')
    .executeTakeFirst();
  return remove ? removeDenyRule(row?.value, rule) : addDenyRules(row?.value, rule);
}
