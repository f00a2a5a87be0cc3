import { VmicError } from '../../errors/index.ts';
import { parseVerifierKey } from '../../tlog/index.ts';
import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { checkUrl } from '../net/http-client.ts';
import { boundedGet } from '../net/bounded-fetch.ts';
import {
  acknowledgeEvidence,
  followLog,
  listFollowedLogs,
  readFollowedLog,
  recordEvidence,
  growView,
  unfollowLog,
  type FollowedLog,
} from '../log/log-views.ts';
import { checkGrowth } from './growth.ts';
import { httpLogFetcher } from '../site/log-fetcher.ts';

/**
 * The logs this instance witnesses (`vmic witness follow|unfollow|list|run`): told to
 * follow a log by its verifier key (and, for `run`, where to read it), it cosigns only
 * checkpoints consistent with the largest one it has seen; `run` reads each followed
 * log's newest checkpoint and grows the view, so that a witness nobody submits to still
 * notices a log that forks or shrinks.
 */
export async function followCommandLog(
  inst: Instance,
  input: { key: string; url?: string | undefined; actor: string },
): Promise<FollowedLog> {
  try {
    parseVerifierKey(input.key);
  } catch (e) {
    throw new VmicError('BAD_REQUEST', (e as Error).message, { cause: e });
  }
  const url =
    input.url === undefined
      ? undefined
      : checkUrl(input.url, 'log URL').toString().replace(/\/?$/, '/');
  return writeTransaction(inst.store, async (tx) => {
    const f = await followLog(tx, input.key, inst.now(), url);
    await appendAudit(tx, {
      at: inst.now(),
      actor: input.actor,
      action: 'witness.log-followed',
      subject: f.origin,
      details: { key: f.logKey, url: f.url ?? null },
    });
    return f;
  });
}

export async function unfollowCommandLog(
  inst: Instance,
  origin: string,
  actor: string,
): Promise<void> {
  await writeTransaction(inst.store, async (tx) => {
    if (!(await unfollowLog(tx, origin)))
      throw new VmicError('NOT_FOUND', `this instance does not follow the log ${origin}`);
    await appendAudit(tx, {
      at: inst.now(),
      actor,
      action: 'witness.log-unfollowed',
      subject: origin,
    });
  });
}

export { listFollowedLogs };

/** An operator read the fork `id` (and acted on it): audited; the evidence stays. */
export async function acknowledgeFork(inst: Instance, id: number, actor: string): Promise<void> {
  await writeTransaction(inst.store, async (tx) => {
    if (!(await acknowledgeEvidence(tx, id, actor, inst.now())))
      throw new VmicError('NOT_FOUND', `no unacknowledged evidence ${id}`);
    await appendAudit(tx, {
      at: inst.now(),
      actor,
      action: 'witness.fork-acknowledged',
      subject: String(id),
    });
  });
}

export interface WitnessRunOutcome {
  origin: string;
  result: 'grown' | 'unchanged' | 'fork' | 'failed' | 'no-url';
  size?: number;
  message?: string;
}

export async function witnessRun(inst: Instance, timeoutMs = 10_000): Promise<WitnessRunOutcome[]> {
  const out: WitnessRunOutcome[] = [];
  for (const f of await listFollowedLogs(inst.store.db)) {
    if (!f.url) {
      out.push({ origin: f.origin, result: 'no-url' });
      continue;
    }
    try {
      const r = await boundedGet(new URL('checkpoint', f.url).toString(), {
        maxBytes: 64 * 1024,
        timeoutMs,
        what: `log ${f.url}checkpoint`,
      });
      if (r.status !== 200) throw new VmicError('FETCH_FAILED', `HTTP ${r.status}`);
      const note = r.body.toString('utf8');
      const verdict = await checkGrowth(f, note, httpLogFetcher(f.url, timeoutMs));
      if (verdict.kind === 'fork') {
        await writeTransaction(inst.store, (tx) =>
          recordEvidence(
            tx,
            {
              origin: f.origin,
              subscription: undefined,
              foundBy: 'witness',
              message: `${f.origin}: ${verdict.message}`,
              held: f.view!.note,
              served: note,
            },
            inst.now(),
          ),
        );
        out.push({ origin: f.origin, result: 'fork', message: verdict.message });
        continue;
      }
      const held = (await readFollowedLog(inst.store.db, f.origin))?.view;
      if (held && held.size >= verdict.view.size) {
        out.push({ origin: f.origin, result: 'unchanged', size: held.size });
        continue;
      }
      await writeTransaction(inst.store, (tx) =>
        growView(tx, f.origin, f.view, verdict.view, inst.now()),
      );
      out.push({ origin: f.origin, result: 'grown', size: verdict.view.size });
    } catch (e) {
      out.push({ origin: f.origin, result: 'failed', message: (e as Error).message });
    }
  }
  return out;
}
