import { isVmicError } from '../../errors/index.ts';
import { addSignatureLines, verifyCosignatures, type CosignerKey } from '../../tlog/index.ts';
import { apiRequest } from '../net/api-request.ts';
import { boundedGet } from '../net/bounded-fetch.ts';

/**
 * Asks a witness to cosign a checkpoint (C2SP tlog-witness `add-checkpoint`), as a log
 * does at publish and as a site does at import for a witness that has not cosigned yet.
 * The old size starts at what the caller believes the witness holds (0 if unknown); a 409
 * names the witness's size, and the request is made once more from there with the proof
 * the log gives. What comes back is checked against the witness's key before it counts.
 */
export type WitnessAnswer =
  | { kind: 'cosigned'; note: string; size: number }
  /** The witness holds another history of this log: the evidence of a fork. */
  | { kind: 'fork'; message: string; witnessNote: string | undefined }
  /** The witness already cosigned a larger tree than this checkpoint. */
  | { kind: 'ahead'; size: number }
  | { kind: 'failed'; message: string };

export interface CosignRequest {
  /** The witness's submission prefix, ending in `/` (`https://site.example/witness/`). */
  url: string;
  key: CosignerKey;
  /** The checkpoint (a signed note) and its size. */
  note: string;
  size: number;
  /** What the caller believes the witness holds; 0 when unknown. */
  knownSize?: number;
  /** A consistency proof from the log (base64 hashes). */
  consistency(from: number, to: number): Promise<string[]>;
  timeoutMs: number;
  now: Date;
}

const MAX_ANSWER = 16 * 1024;

export async function requestCosignature(r: CosignRequest): Promise<WitnessAnswer> {
  let old = Math.min(r.knownSize ?? 0, r.size);
  for (let attempt = 0; attempt < 2; attempt++) {
    let proof: string[];
    try {
      proof = old > 0 && old < r.size ? await r.consistency(old, r.size) : [];
    } catch (e) {
      return { kind: 'failed', message: `no consistency proof ${old}→${r.size}: ${msg(e)}` };
    }
    const body = Buffer.from(`old ${old}\n${proof.map((p) => `${p}\n`).join('')}\n${r.note}`);
    let a;
    try {
      a = await apiRequest('POST', new URL('add-checkpoint', r.url).toString(), {
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body,
        idleMs: r.timeoutMs,
        maxBytes: MAX_ANSWER,
        what: `witness ${r.key.name}`,
        failCode: 'FETCH_FAILED',
      });
    } catch (e) {
      return { kind: 'failed', message: msg(e) };
    }
    const answer = a.body.toString('utf8');
    if (a.status === 200) {
      const note = addSignatureLines(r.note, answer);
      try {
        if (verifyCosignatures(note, [r.key], r.now).length === 1)
          return { kind: 'cosigned', note, size: r.size };
      } catch (e) {
        return { kind: 'failed', message: `witness ${r.key.name}: ${msg(e)}` };
      }
      return { kind: 'failed', message: `witness ${r.key.name} answered without its cosignature` };
    }
    if (a.status === 422)
      return {
        kind: 'fork',
        message: `witness ${r.key.name} holds a tree of size ${old} that this checkpoint does not extend`,
        witnessNote: await heldBy(r),
      };
    if (a.status === 409) {
      const held = /^(0|[1-9][0-9]{0,15})\n?$/.exec(answer);
      if (!held) return { kind: 'failed', message: `witness ${r.key.name}: 409 without a size` };
      const size = Number(held[1]);
      if (size > r.size) return { kind: 'ahead', size };
      if (size === old)
        return {
          kind: 'fork',
          message: `witness ${r.key.name} cosigned another root at size ${size}`,
          witnessNote: await heldBy(r),
        };
      old = size;
      continue;
    }
    return {
      kind: 'failed',
      message: `witness ${r.key.name}: HTTP ${a.status} ${answer.slice(0, 200).trim()}`,
    };
  }
  return { kind: 'failed', message: `witness ${r.key.name}: its size kept changing` };
}

/**
 * The checkpoint a witness holds of `origin`, cosigned by it (`GET …/checkpoint?origin=`,
 * a vmic witness's monitoring read): the note, or the HTTP status it answered instead.
 */
export async function witnessCheckpoint(
  url: string,
  origin: string,
  witness: string,
  timeoutMs: number,
): Promise<{ note: string } | { status: number }> {
  const got = await boundedGet(
    new URL(`checkpoint?origin=${encodeURIComponent(origin)}`, url).toString(),
    { maxBytes: MAX_ANSWER, timeoutMs, what: `witness ${witness}` },
  );
  return got.status === 200 ? { note: got.body.toString('utf8') } : { status: got.status };
}

/** The witness's own checkpoint of the log, as evidence, if it serves one. */
async function heldBy(r: CosignRequest): Promise<string | undefined> {
  try {
    const origin = r.note.slice(0, r.note.indexOf('\n'));
    const got = await witnessCheckpoint(r.url, origin, r.key.name, r.timeoutMs);
    return 'note' in got ? got.note : undefined;
  } catch {
    return undefined;
  }
}

function msg(e: unknown): string {
  return isVmicError(e) || e instanceof Error ? e.message : String(e);
}
