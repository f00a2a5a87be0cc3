import { isVmicError, type VmicError } from '../../errors/index.ts';
import { verifyConsistency } from '../../tlog/index.ts';
import type { LogView } from './log-views.ts';

/**
 * Whether two checkpoints of one log, `held` (a view kept here) and `served` (what the log
 * shows now), are one history: the smaller must be a prefix of the larger, proved by a
 * consistency proof the log gives (either way round: a log serving an older cosigned
 * checkpoint is fine, a log that dropped entries cannot give the proof). Equal sizes need
 * equal roots. Used by a site's import check and by a witness following a log, so both
 * judge a fork alike (threat: a split view passing one check and not the other).
 *
 * - `one-history`: consistent;
 * - `unreachable`: the log did not answer (TOO_SLOW, FETCH_FAILED): an outage proves
 *   nothing either way, and the caller decides what that means;
 * - `no-proof`: the log answered and gave no proof: what a fork looks like;
 * - `mismatch`: the proof (or the equal-size roots) do not join the two.
 */
export type HistoryCheck =
  | { kind: 'one-history' }
  | { kind: 'unreachable'; error: VmicError }
  | { kind: 'no-proof'; lo: number; hi: number; detail: string }
  | { kind: 'mismatch'; lo: number; hi: number };

export async function checkOneHistory(
  held: LogView,
  served: LogView,
  consistency: (from: number, to: number) => Promise<string[]>,
): Promise<HistoryCheck> {
  const [lo, hi] = served.size <= held.size ? [served, held] : [held, served];
  let proof: string[] = [];
  if (hi.size > lo.size) {
    try {
      proof = await consistency(lo.size, hi.size);
    } catch (e) {
      if (isVmicError(e) && (e.code === 'TOO_SLOW' || e.code === 'FETCH_FAILED'))
        return { kind: 'unreachable', error: e };
      return { kind: 'no-proof', lo: lo.size, hi: hi.size, detail: (e as Error).message };
    }
  }
  const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
  return verifyConsistency(lo.size, hi.size, lo.root, hi.root, proof.map(b64))
    ? { kind: 'one-history' }
    : { kind: 'mismatch', lo: lo.size, hi: hi.size };
}
