import { VmicError } from '../../errors/index.ts';
import { openNote, parseCheckpoint, parseVerifierKey } from '../../tlog/index.ts';
import type { FollowedLog, LogView } from '../log/log-views.ts';
import { checkOneHistory } from '../log/one-history.ts';
import type { LogFetcher } from '../site/log-check.ts';

/**
 * Whether a log's checkpoint `note` extends the view held of it (`vmic witness run`):
 * signed by the followed key, for that origin, and joined to the held checkpoint by a
 * consistency proof the log gives (either way round: a smaller one must be a prefix).
 * A log that cannot be read is an error; a log that answers with another history is a
 * fork.
 */
export async function checkGrowth(
  followed: FollowedLog,
  note: string,
  log: Pick<LogFetcher, 'consistency'>,
): Promise<{ kind: 'ok'; view: LogView } | { kind: 'fork'; message: string }> {
  let view: LogView;
  try {
    const key = parseVerifierKey(followed.logKey);
    const cp = parseCheckpoint(openNote(note, [key]).text, followed.origin);
    view = { size: cp.size, root: cp.root, note };
  } catch (e) {
    throw new VmicError(
      'NOT_LOGGED',
      `the checkpoint is not one of ${followed.origin}: ${(e as Error).message}`,
    );
  }
  const held = followed.view;
  if (!held) return { kind: 'ok', view };
  const joined = await checkOneHistory(held, view, (from, to) => log.consistency(from, to));
  if (joined.kind === 'unreachable') throw joined.error;
  if (joined.kind === 'no-proof')
    return {
      kind: 'fork',
      message: `no consistency proof between sizes ${joined.lo} and ${joined.hi}: ${joined.detail}`,
    };
  if (joined.kind === 'mismatch')
    return {
      kind: 'fork',
      message: `the checkpoint of size ${view.size} and the one of size ${held.size} held here are not one history`,
    };
  return { kind: 'ok', view };
}
