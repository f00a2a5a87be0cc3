import { createHash } from 'node:crypto';
import { VmicError, isVmicError } from '../../errors/index.ts';
import { parseCosignerKey, parseVerifierKey, verifyCosignatures } from '../../tlog/index.ts';
import type { Instance } from '../instance.ts';
import { boundedGet } from '../net/bounded-fetch.ts';
import { writeTransaction, type Tx } from '../store/write-transaction.ts';
import { followLog, growView, readFollowedLog, recordEvidence } from '../log/log-views.ts';
import { checkCatalogLogged, LogForkError, type LogView } from './log-check.ts';
import { httpLogFetcher, logBaseOf } from './log-fetcher.ts';
import { witnessesOf } from './subscription-log.ts';
import { collectWitnesses } from './witness-quorum.ts';
import type { SubscriptionRow } from './import-types.ts';

/**
 * An import's transparency check (docs/design.md §13), after the catalog verified and
 * before it is applied: the catalog's inclusion in its endorser instance's log, under a
 * checkpoint consistent with this instance's view of that log and cosigned by the
 * subscription's quorum of witnesses. `apply` (in the import's transaction) pins a key
 * learned on first use and grows the view. Under `warn` a failure is reported and the
 * catalog still applied; a fork is kept as evidence under every policy.
 */
export interface LogReport {
  /** Where the catalog sits in the log, and the checkpoint it was proved under. */
  index?: number;
  treeSize?: number;
  cosigners?: string[];
  /** `warn`: why the check failed. */
  warning?: { code: string; message: string };
}

export interface ImportLogCheck {
  report: LogReport | undefined;
  apply(tx: Tx): Promise<void>;
}

const noop = async (): Promise<void> => {};
const NONE: ImportLogCheck = { report: undefined, apply: noop };
const LOG_CODES = new Set(['NOT_LOGGED', 'LOG_INCONSISTENT', 'WITNESS_QUORUM_NOT_MET']);

export async function checkImportLogged(
  inst: Instance,
  sub: SubscriptionRow,
  p7m: Buffer,
  sequence: number,
  ctx: { time: Date; timeoutMs: number },
): Promise<ImportLogCheck> {
  if (sub.log_policy === 'off' || sub.format !== 'rdf') return NONE;
  try {
    return await check(inst, sub, p7m, sequence, ctx);
  } catch (e) {
    if (e instanceof LogForkError) await keepEvidence(inst, sub, e);
    if (sub.log_policy === 'warn' && isVmicError(e) && LOG_CODES.has(e.code))
      return { report: { warning: { code: e.code, message: e.message } }, apply: noop };
    throw e;
  }
}

async function check(
  inst: Instance,
  sub: SubscriptionRow,
  p7m: Buffer,
  sequence: number,
  ctx: { time: Date; timeoutMs: number },
): Promise<ImportLogCheck> {
  const base = logBaseOf(sub.url);
  const endorser = /\/feeds\/([^/]+)\/catalog\.p7m$/.exec(new URL(sub.url).pathname)?.[1];
  if (!base || !endorser)
    throw new VmicError('NOT_LOGGED', `${sub.url} is not a vmic feed: no log to prove it in`);
  const fetch = httpLogFetcher(base, ctx.timeoutMs);
  const keyText = sub.log_key ?? (await firstUseKey(inst, base, ctx.timeoutMs));
  const verifier = parseVerifierKey(keyText);
  const lastSeen = (await readFollowedLog(inst.store.db, verifier.name))?.view;
  const { view, index } = await checkCatalogLogged({
    endorser: decodeURIComponent(endorser),
    sequence,
    p7mSha256: createHash('sha256').update(p7m).digest('hex'),
    verifier,
    lastSeen,
    fetch,
  });
  const witnesses = witnessesOf(sub).map((w) => ({ ...w, parsed: parseCosignerKey(w.key) }));
  let seen: LogView = view;
  let cosigners: string[] = [];
  if (sub.log_witness_quorum > 0) {
    const q = await collectWitnesses({
      view,
      log: verifier,
      witnesses,
      quorum: sub.log_witness_quorum,
      consistency: (a, b) => fetch.consistency(a, b),
      now: ctx.time,
      timeoutMs: ctx.timeoutMs,
    });
    seen = q.view;
    cosigners = q.cosigners;
  } else if (witnesses.length) {
    cosigners = verifyCosignatures(
      view.note,
      witnesses.map((w) => w.parsed),
      ctx.time,
    ).map((c) => c.by.name);
  }
  return {
    report: { index, treeSize: view.size, cosigners },
    apply: async (tx) => {
      await followLog(tx, keyText, inst.now(), base);
      if (sub.log_key === null)
        await tx
          .updateTable('subscriptions')
          .set({
            log_key: keyText,
            log_key_source: 'first-use',
            log_key_at: inst.now().toISOString(),
          })
          .where('id', '=', sub.id)
          .execute();
      await growView(tx, verifier.name, lastSeen, seen, inst.now());
    },
  };
}

/**
 * Trust on first use: the key the log serves, unless this instance already follows that
 * origin under a key (pinned by another subscription or `vmic witness add`), which wins.
 */
async function firstUseKey(inst: Instance, base: string, timeoutMs: number): Promise<string> {
  let served: string;
  try {
    const r = await boundedGet(new URL('key', base).toString(), {
      maxBytes: 4096,
      timeoutMs,
      what: `log key ${base}key`,
    });
    if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
    served = r.body.toString('utf8').trim();
    parseVerifierKey(served);
  } catch (e) {
    throw new VmicError('NOT_LOGGED', `no log key at ${base}key: ${(e as Error).message}`);
  }
  const followed = await readFollowedLog(inst.store.db, parseVerifierKey(served).name);
  if (followed && followed.logKey !== served)
    throw new VmicError(
      'NOT_LOGGED',
      `${base}key serves ${served}, but this instance follows that log with ${followed.logKey}`,
    );
  return served;
}

async function keepEvidence(inst: Instance, sub: SubscriptionRow, e: LogForkError): Promise<void> {
  await writeTransaction(inst.store, (tx) =>
    recordEvidence(
      tx,
      {
        origin: e.origin,
        subscription: sub.name,
        foundBy: 'import',
        message: e.message,
        held: e.held,
        served: e.served,
      },
      inst.now(),
    ),
  );
}
