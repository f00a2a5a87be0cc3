import {
  cosignatureLine,
  openNote,
  parseCheckpoint,
  parseNote,
  parseVerifierKey,
  verifyConsistency,
  TlogError,
  type Checkpoint,
  type NoteVerifier,
} from '../../tlog/index.ts';
import type { Instance } from '../instance.ts';
import { lockedTransaction } from '../store/write-transaction.ts';
import { witnessCosigner } from '../log/log-key.ts';
import { growView, readFollowedLog, recordEvidence } from '../log/log-views.ts';

/**
 * The witness role's one write (C2SP tlog-witness `add-checkpoint`): a checkpoint of a log
 * this instance follows, with a consistency proof from the size this witness last saw,
 * is cosigned (C2SP tlog-cosignature v1) and becomes this instance's view of that log.
 * The view is the one imports check against (log-views.ts): a site witnesses what it
 * imports and refuses to import a history other than the one it witnessed.
 *
 * Answers as the protocol fixes them: 404 an origin not followed, 403 no signature by its
 * key, 400 a malformed request or an old size past the checkpoint, 409 (`text/x.tlog.size`,
 * the size held) an old size other than the one held or another root at the held size,
 * 422 a consistency proof that does not verify. A 409 at the held size and a 422 are what
 * a fork looks like: both checkpoints are kept as evidence.
 */
export interface WitnessReply {
  status: number;
  contentType: string;
  body: string;
}

/** Bounds (threat: an anonymous caller sending endless bodies or proofs). */
export const MAX_REQUEST_BYTES = 64 * 1024;
const MAX_PROOF_LINES = 63;

const text = (status: number, body: string): WitnessReply => ({
  status,
  contentType: 'text/plain; charset=utf-8',
  body: body.endsWith('\n') ? body : `${body}\n`,
});
const size409 = (size: number): WitnessReply => ({
  status: 409,
  contentType: 'text/x.tlog.size',
  body: `${size}\n`,
});

interface Request {
  old: number;
  proof: Buffer[];
  note: string;
}

function parseRequest(body: Buffer): Request | string {
  if (body.length > MAX_REQUEST_BYTES) return `longer than ${MAX_REQUEST_BYTES} bytes`;
  let s: string;
  try {
    s = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return 'not UTF-8';
  }
  const split = s.indexOf('\n\n');
  if (split < 0) return 'no empty line after the old size and the proof';
  const [first, ...proofLines] = s.slice(0, split).split('\n');
  const m = /^old (0|[1-9][0-9]{0,15})$/.exec(first ?? '');
  if (!m) return 'the first line is not "old <size>"';
  if (proofLines.length > MAX_PROOF_LINES) return `more than ${MAX_PROOF_LINES} proof lines`;
  const proof: Buffer[] = [];
  for (const l of proofLines) {
    const h = Buffer.from(l, 'base64');
    if (h.length !== 32 || h.toString('base64') !== l) return 'a proof line is not a hash';
    proof.push(h);
  }
  return { old: Number(m[1]), proof, note: s.slice(split + 2) };
}

export async function addCheckpoint(inst: Instance, body: Buffer): Promise<WitnessReply> {
  const req = parseRequest(body);
  if (typeof req === 'string') return text(400, `bad add-checkpoint request: ${req}`);
  let cp: Checkpoint;
  try {
    cp = parseCheckpoint(parseNote(req.note).text);
  } catch (e) {
    return text(400, `bad checkpoint: ${(e as Error).message}`);
  }
  const followed = await readFollowedLog(inst.store.db, cp.origin);
  if (!followed) return text(404, `this witness does not follow the log ${cp.origin}`);
  try {
    openNote(req.note, [parseVerifierKey(followed.logKey)]);
  } catch (e) {
    if (e instanceof TlogError)
      return text(403, `no valid signature by the key of ${cp.origin}: ${e.message}`);
    throw e;
  }
  if (req.old > cp.size) return text(400, `old size ${req.old} is past the checkpoint ${cp.size}`);
  if (req.old === 0 && req.proof.length) return text(400, 'a proof from size 0 must be empty');
  const cosigner = await witnessCosigner(inst);
  return lockedTransaction(inst.store, async (tx) => {
    // Read, checked and grown in one locked transaction: two requests never both pass
    // against the same old view (the rollback race the protocol warns of).
    const held = (await readFollowedLog(tx, cp.origin))!.view;
    const heldSize = held?.size ?? 0;
    if (req.old !== heldSize) return size409(heldSize);
    const fork = async (why: string) => {
      if (held)
        await recordEvidence(
          tx,
          {
            origin: cp.origin,
            subscription: undefined,
            foundBy: 'witness',
            message: `${cp.origin}: ${why}`,
            held: held.note,
            served: req.note,
          },
          inst.now(),
        );
    };
    if (held && req.old === cp.size) {
      if (!Buffer.from(held.root).equals(Buffer.from(cp.root))) {
        await fork(`another root at the size ${cp.size} this witness cosigned`);
        return size409(heldSize);
      }
    } else if (held && !verifyConsistency(req.old, cp.size, held.root, cp.root, req.proof)) {
      await fork(`no consistency from the size ${req.old} this witness cosigned to ${cp.size}`);
      return text(422, `the consistency proof from ${req.old} to ${cp.size} does not verify`);
    }
    const now = inst.now();
    // Kept with the log's own signature only: lines by other keys were not checked here
    // (threat: a forged line naming this witness served later as its cosignature).
    const kept = onlyBy(req.note, [parseVerifierKey(followed.logKey)]);
    await growView(tx, cp.origin, held, { size: cp.size, root: cp.root, note: kept }, now);
    const body = parseNote(req.note).text;
    return text(200, cosignatureLine(body, cosigner, Math.floor(now.getTime() / 1000)));
  });
}

/**
 * The checkpoint this witness holds for `origin`, cosigned now: what a site shows as
 * the other side of a fork (a vmic addition; the protocol leaves monitoring open).
 */
export async function heldCheckpoint(inst: Instance, origin: string): Promise<string | undefined> {
  const followed = await readFollowedLog(inst.store.db, origin);
  if (!followed?.view) return undefined;
  const cosigner = await witnessCosigner(inst);
  const note = onlyBy(followed.view.note, [parseVerifierKey(followed.logKey)]);
  const line = cosignatureLine(
    parseNote(note).text,
    cosigner,
    Math.floor(inst.now().getTime() / 1000),
  );
  return `${note}${line}`;
}

/** The note with only the signature lines of `keys` (by name and key hash). */
function onlyBy(note: string, keys: readonly NoteVerifier[]): string {
  const { text, signatures } = parseNote(note);
  const lines = signatures
    .filter((s) => keys.some((k) => k.name === s.name && k.keyHash === s.keyHash))
    .map((s) => {
      const blob = Buffer.alloc(4 + s.signature.length);
      blob.writeUInt32BE(s.keyHash, 0);
      Buffer.from(s.signature).copy(blob, 4);
      return `\u2014 ${s.name} ${blob.toString('base64')}\n`;
    });
  return `${text}\n${lines.join('')}`;
}
