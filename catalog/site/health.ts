import type { Instance } from '../instance.ts';
import { importScheduleOf } from './import-schedule.ts';
import { readPolicy } from './policy.ts';
import { countImages, problemsOf, verdictOf } from './health-rules.ts';
import {
  logForks,
  inventoryTrouble,
  cacheUse,
  endorserHealth,
  imageDecisionCodes,
  latestAudit,
  subscriptionHealth,
} from './health-queries.ts';
import { identityHealth, identityProblems } from './health-identities.ts';
import type { HealthSummary, SiteHealth } from './health-types.ts';

export type * from './health-types.ts';
export { VERDICT_EXIT } from './health-types.ts';

/** How many audit entries the summary carries. */
export const AUDIT_TAIL = 10;

/**
 * What the summary covers: the CLI (run by whoever may open the data directory) sees all;
 * the dashboard asks only for what the signed-in roles may read.
 */
export interface HealthScope {
  site: boolean;
  audit: boolean;
  endorsers: readonly string[] | 'all';
}

export const FULL_SCOPE: HealthScope = { site: true, audit: true, endorsers: 'all' };

/**
 * The site health summary (docs/design.md §11) at `now`: the queries here, the
 * classification in health-rules.ts.
 */
export async function healthSummary(
  inst: Instance,
  scope: HealthScope,
  now: Date = inst.now(),
): Promise<HealthSummary> {
  const db = inst.store.db;
  let site: SiteHealth | undefined;
  if (scope.site) {
    const policy = await readPolicy(db);
    site = {
      subscriptions: await subscriptionHealth(db, now, policy.maxCatalogAgeSeconds),
      images: countImages(await imageDecisionCodes(inst), policy.fetchScope),
      cache: await cacheUse(db),
      schedule: importScheduleOf(inst) ?? null,
      maxCatalogAgeSeconds: policy.maxCatalogAgeSeconds,
      logForks: await logForks(db),
      inventories: await inventoryTrouble(db),
    };
  }
  const endorsers = await endorserHealth(inst, scope.endorsers, now);
  const identities = await identityHealth(inst, scope, now);
  const problems = problemsOf(site, endorsers, identityProblems(identities));
  return {
    at: now.toISOString(),
    verdict: verdictOf(problems),
    problems,
    ...(site ? { site } : {}),
    endorsers,
    identities,
    ...(scope.audit ? { audit: await latestAudit(db, AUDIT_TAIL) } : {}),
  };
}
