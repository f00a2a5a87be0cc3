import type { Queryable } from '../../../catalog/store/database.ts';
import type { Subscription } from '../../../catalog/site/subscriptions.ts';
import { listEvidence } from '../../../catalog/log/log-views.ts';
import type { LogReport } from '../../../catalog/site/import-log.ts';
import { reasonText } from './reason-text.ts';

/** What each log policy means, as the subscriptions page words it. */
const POLICY_TEXT = {
  require: 'a catalog not proved in the log is refused',
  warn: 'a failed check is reported, the catalog applied anyway',
  off: 'not checked',
} as const;

/**
 * The transparency-log part of a subscription's row: its policy, the log key and how it
 * was learned, the witnesses, and the forks found for it (log_evidence), newest first.
 */
export async function subscriptionLogView(db: Queryable, s: Subscription) {
  const { n } = await db
    .selectFrom('log_evidence')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('subscription', '=', s.name)
    .executeTakeFirstOrThrow();
  const forks = Number(n);
  const [newest] = forks ? await listEvidence(db, { subscription: s.name }) : [];
  return {
    policy: s.log.policy,
    policyText: POLICY_TEXT[s.log.policy],
    key: s.log.key && {
      ...s.log.key,
      sourceText:
        s.log.key.source === 'pinned'
          ? 'pinned at subscribe'
          : 'learned from the log (trust on first use)',
    },
    witnesses: s.log.witnesses,
    quorum: s.log.quorum,
    forks,
    newestFork: newest,
  };
}

/**
 * The query of an import's result page: a log check failed under `warn` is named (code
 * and message, bounded as every notice value is), so that "applied" never reads as clean.
 */
export function logWarningQuery(q: URLSearchParams, log: LogReport | undefined): void {
  const w = log?.warning;
  if (!w) return;
  q.set('logWarning', w.code);
  q.set('logMessage', w.message.slice(0, 200));
}

/** The notice's words for a log warning code, if one was passed. */
export function logWarningText(code: unknown): string | undefined {
  return typeof code === 'string' ? reasonText(code) : undefined;
}
