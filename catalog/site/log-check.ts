import { VmicError } from '../../errors/index.ts';
import {
  leafHash,
  openNote,
  parseCheckpoint,
  verifyInclusion,
  type NoteVerifier,
} from '../../tlog/index.ts';
import { catalogLeaf } from '../log/leaves.ts';
import { checkOneHistory } from '../log/one-history.ts';
import type { LogView } from '../log/log-views.ts';

/**
 * A site's check that an imported catalog is in its endorser's transparency log (issue
 * 17, docs/design.md §13): proved included under a checkpoint signed by the pinned log key,
 * and that checkpoint consistent with the last one this site saw of the same log. Pure but
 * for `fetch`, which reads the endorser instance's `/log/` (or a test's stand-in for it).
 *
 * - NOT_LOGGED: no proof, a proof that does not check, a leaf that names other bytes, or a
 *   checkpoint not signed by the pinned key.
 * - LOG_INCONSISTENT: the log has another root at the same size as one seen before, or no
 *   consistency proof joins the two: the endorser shows different sites (or this site at
 *   different times) different histories. Both checkpoints are returned as evidence
 *   (`LogForkError`). A smaller checkpoint than one seen (a log serving the newest one its
 *   witnesses cosigned) passes only with a proof that it is a prefix of the seen one: a
 *   log that dropped entries cannot give that proof.
 */
export type { LogView } from '../log/log-views.ts';

export interface LogFetcher {
  inclusion(
    endorser: string,
    sequence: number,
  ): Promise<{
    index: number;
    leaf: string;
    treeSize: number;
    proof: string[];
    checkpoint: string;
  }>;
  consistency(from: number, to: number): Promise<string[]>;
}

export class LogForkError extends VmicError {
  constructor(
    message: string,
    readonly held: string,
    readonly served: string,
    /** The log's origin: whose histories these are. */
    readonly origin: string,
  ) {
    super('LOG_INCONSISTENT', message);
  }
}

const b64 = (s: string): Buffer => Buffer.from(s, 'base64');

export async function checkCatalogLogged(input: {
  endorser: string;
  sequence: number;
  /** SHA-256 of the catalog.p7m bytes the site verified. */
  p7mSha256: string;
  verifier: NoteVerifier;
  lastSeen?: LogView | undefined;
  fetch: LogFetcher;
}): Promise<{ view: LogView; index: number }> {
  const what = `catalog ${input.endorser}/${input.sequence}`;
  const notLogged = (why: string) => new VmicError('NOT_LOGGED', `${what}: ${why}`);
  let answer: Awaited<ReturnType<LogFetcher['inclusion']>>;
  try {
    answer = await input.fetch.inclusion(input.endorser, input.sequence);
  } catch (e) {
    throw notLogged(`no inclusion proof: ${(e as Error).message}`);
  }
  let view: LogView;
  try {
    const cp = parseCheckpoint(
      openNote(answer.checkpoint, [input.verifier]).text,
      input.verifier.name,
    );
    view = { size: cp.size, root: cp.root, note: answer.checkpoint };
  } catch (e) {
    throw notLogged(
      `the checkpoint is not signed by the pinned log key ${input.verifier.name}: ${(e as Error).message}`,
    );
  }
  const leaf = catalogLeaf(input.endorser, input.sequence, input.p7mSha256);
  if (!b64(answer.leaf).equals(Buffer.from(leaf)))
    throw notLogged('the logged leaf names other bytes than the catalog.p7m verified here');
  if (
    answer.treeSize !== view.size ||
    !verifyInclusion(answer.index, view.size, leafHash(leaf), answer.proof.map(b64), view.root)
  )
    throw notLogged(
      `the inclusion proof does not check against the checkpoint of size ${view.size}`,
    );

  const seen = input.lastSeen;
  if (seen) {
    const fork = (why: string) =>
      new LogForkError(`${input.verifier.name}: ${why}`, seen.note, view.note, input.verifier.name);
    const joined = await checkOneHistory(seen, view, (from, to) =>
      input.fetch.consistency(from, to),
    );
    if (joined.kind === 'unreachable')
      throw notLogged(`the consistency proof could not be read: ${joined.error.message}`);
    if (joined.kind === 'no-proof')
      throw fork(
        view.size < seen.size
          ? `the log has ${view.size} leaves, fewer than the ${seen.size} seen before, and proves no consistency with them (entries dropped): ${joined.detail}`
          : `no consistency proof from size ${seen.size} to ${view.size}: ${joined.detail}`,
      );
    if (joined.kind === 'mismatch')
      throw fork(
        view.size < seen.size
          ? `the checkpoint of size ${view.size} is not a prefix of the one of size ${seen.size} seen before (fewer than the ${seen.size} seen before: entries dropped or rewritten)`
          : `the checkpoint of size ${view.size} is not an extension of the one of size ${seen.size} seen before`,
      );
  }
  return { view, index: answer.index };
}
