import { HASH_BYTES, type Hash } from './merkle.ts';
import { TlogError } from './errors.ts';

/**
 * C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): the body of a signed note that
 * commits a log to a tree:
 *
 *   <origin>\n<tree size, decimal>\n<root hash, base64>\n[<extension line>\n]...
 *
 * The origin names the log (vmic: its public URL without the scheme) so that a checkpoint
 * of one log is never taken for another's (threat: replaying a second log's checkpoint).
 */
export interface Checkpoint {
  origin: string;
  size: number;
  root: Hash;
  extensions: string[];
}

export function checkpointText(c: Checkpoint): string {
  if (!c.origin || /[\n]/.test(c.origin)) throw new TlogError('malformed-checkpoint', 'bad origin');
  if (c.root.length !== HASH_BYTES)
    throw new TlogError('malformed-checkpoint', 'the root is not 32 bytes');
  return [c.origin, String(c.size), Buffer.from(c.root).toString('base64'), ...c.extensions]
    .map((l) => `${l}\n`)
    .join('');
}

/** Parses a checkpoint body strictly; `origin`, when given, must be the log's. */
export function parseCheckpoint(text: string, origin?: string): Checkpoint {
  const bad = (why: string) => new TlogError('malformed-checkpoint', `checkpoint: ${why}`);
  if (!text.endsWith('\n')) throw bad('no final newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw bad('fewer than three lines');
  const [o, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (!o) throw bad('empty origin');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText)))
    throw bad('the tree size is not a decimal number');
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== HASH_BYTES || root.toString('base64') !== rootText)
    throw bad('the root hash is not base64 of 32 bytes');
  if (extensions.some((e) => e.length === 0)) throw bad('an empty extension line');
  if (origin !== undefined && o !== origin)
    throw new TlogError(
      'wrong-origin',
      `checkpoint of ${JSON.stringify(o)}, expected ${JSON.stringify(origin)}`,
    );
  return { origin: o, size: Number(sizeText), root, extensions };
}
