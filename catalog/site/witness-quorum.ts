import { VmicError } from '../../errors/index.ts';
import {
  addSignatureLines,
  openNote,
  parseCheckpoint,
  verifyConsistency,
  verifyCosignatures,
  type CosignerKey,
  type NoteVerifier,
} from '../../tlog/index.ts';
import { requestCosignature, witnessCheckpoint } from '../witness/witness-client.ts';
import { LogForkError, type LogView } from './log-check.ts';

/**
 * A subscription's witness quorum (docs/design.md §13): at least `quorum` of the named
 * witnesses must vouch for the checkpoint a catalog was proved under, else
 * WITNESS_QUORUM_NOT_MET. A witness vouches by a cosignature on it (served by the log,
 * or asked for now from the witness's URL), or by a cosigned larger checkpoint that the
 * log proves this one a prefix of. A witness holding another history is a fork
 * (LOG_INCONSISTENT, both checkpoints kept): the split view witnesses exist to catch.
 */
export interface NamedWitness {
  key: string;
  url?: string | undefined;
  parsed: CosignerKey;
}

export async function collectWitnesses(input: {
  view: LogView;
  log: NoteVerifier;
  witnesses: readonly NamedWitness[];
  quorum: number;
  consistency: (from: number, to: number) => Promise<string[]>;
  now: Date;
  timeoutMs: number;
}): Promise<{ view: LogView; cosigners: string[] }> {
  const keys = input.witnesses.map((w) => w.parsed);
  let note = input.view.note;
  const vouched = new Set<string>();
  const why: string[] = [];
  const cosigned = (n: string) => {
    try {
      return verifyCosignatures(n, keys, input.now);
    } catch (e) {
      throw new VmicError(
        'WITNESS_QUORUM_NOT_MET',
        `a witness line is forged: ${(e as Error).message}`,
      );
    }
  };
  for (const c of cosigned(note)) vouched.add(c.by.name);
  for (const w of input.witnesses) {
    if (vouched.has(w.parsed.name)) continue;
    if (vouched.size >= input.quorum) break;
    if (!w.url) {
      why.push(`${w.parsed.name}: no cosignature served and no URL to ask`);
      continue;
    }
    const a = await requestCosignature({
      url: w.url,
      key: w.parsed,
      note,
      size: input.view.size,
      consistency: (a, b) => input.consistency(a, b),
      timeoutMs: input.timeoutMs,
      now: input.now,
    });
    if (a.kind === 'cosigned') {
      note = addSignatureLines(note, a.note.slice(note.length));
      vouched.add(w.parsed.name);
    } else if (a.kind === 'fork') {
      throw new LogForkError(
        `${input.log.name}: ${a.message}`,
        a.witnessNote ?? '(the witness did not show its checkpoint)',
        note,
        input.log.name,
      );
    } else if (a.kind === 'ahead') {
      const ok = await vouchesForPrefix(input, w, a.size);
      if (ok === true) vouched.add(w.parsed.name);
      else if (typeof ok === 'object') throw ok;
      else why.push(`${w.parsed.name}: ${ok}`);
    } else why.push(`${w.parsed.name}: ${a.message}`);
  }
  if (vouched.size < input.quorum)
    throw new VmicError(
      'WITNESS_QUORUM_NOT_MET',
      `${input.quorum} of ${input.witnesses.length} witnesses must vouch for the checkpoint of size ${input.view.size} of ${input.log.name}; ${vouched.size} did${vouched.size ? ` (${[...vouched].join(', ')})` : ''}. ${why.join('; ')}`,
    );
  return { view: { ...input.view, note }, cosigners: [...vouched] };
}

/**
 * A witness that cosigned a larger tree vouches for this one when the log proves this
 * one its prefix: true, a reason it could not be shown, or the fork found.
 */
async function vouchesForPrefix(
  input: Parameters<typeof collectWitnesses>[0],
  w: NamedWitness,
  size: number,
): Promise<true | string | LogForkError> {
  let held: string;
  try {
    const r = await witnessCheckpoint(w.url!, input.log.name, w.parsed.name, input.timeoutMs);
    if (!('note' in r)) return `it holds size ${size} and shows no checkpoint (HTTP ${r.status})`;
    held = r.note;
    const cp = parseCheckpoint(openNote(held, [input.log]).text, input.log.name);
    if (cp.size < size) return `it shows a checkpoint of size ${cp.size}, not the ${size} it holds`;
    if (!verifyCosignatures(held, [w.parsed], input.now).length)
      return 'its checkpoint carries no cosignature of its own';
    const proof = await input.consistency(input.view.size, cp.size);
    const b64 = (s: string) => Buffer.from(s, 'base64');
    if (verifyConsistency(input.view.size, cp.size, input.view.root, cp.root, proof.map(b64)))
      return true;
  } catch (e) {
    return `its larger checkpoint could not be checked: ${(e as Error).message}`;
  }
  return new LogForkError(
    `${input.log.name}: witness ${w.parsed.name} cosigned a tree of size ${size} that does not extend this checkpoint`,
    held,
    input.view.note,
    input.log.name,
  );
}
