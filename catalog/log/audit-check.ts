import { VmicError } from '../../errors/index.ts';
import {
  EMPTY_TREE_HASH,
  leafHash,
  nodeHash,
  openNote,
  parseCheckpoint,
  type Hash,
} from '../../tlog/index.ts';
import type { Instance } from '../instance.ts';
import { iterateAudit } from '../audit/audit-log.ts';
import { auditLeaf } from './leaves.ts';
import { latestCheckpoint } from './checkpoints.ts';
import { newestCosigned } from './proofs.ts';
import { logSigner } from './log-key.ts';

/**
 * The audit log against the transparency log (issue 17): an attacker who edits an audit
 * entry and recomputes the whole hash chain still leaves the chain hashes that the log
 * recorded, and a log rewritten to match no longer has the root of the checkpoints that
 * were signed (with a key the database alone does not give) and that others hold.
 *
 * Reads every leaf once, in order, keeping only the O(log n) peaks of the tree.
 */
export interface AuditLogCheck {
  ok: boolean;
  problems: string[];
  /** Audit entries with a leaf; entries before the first were written before the log began. */
  logged: number;
  firstLoggedSeq: number | undefined;
  /** The signed checkpoints compared: the latest, the newest witnessed, one given by the caller. */
  checkpoints: { size: number; source: string }[];
}

/** Root of the first n leaves from the peaks of complete subtrees (largest first). */
function rootOf(peaks: readonly Hash[]): Hash {
  if (peaks.length === 0) return EMPTY_TREE_HASH;
  let r = peaks[peaks.length - 1]!;
  for (let i = peaks.length - 2; i >= 0; i--) r = nodeHash(peaks[i]!, r);
  return r;
}

export async function checkAuditAgainstLog(
  inst: Instance,
  opts: { heldCheckpoint?: string } = {},
): Promise<AuditLogCheck> {
  const problems: string[] = [];
  const signer = await logSigner(inst);
  const wanted = new Map<number, { note: string; source: string }>();
  const latest = await latestCheckpoint(inst.store.db);
  if (latest) wanted.set(latest.size, { note: latest.note, source: 'latest signed checkpoint' });
  // The newest one witnesses cosigned: they hold its root too, out of this database's reach.
  const witnessed = await newestCosigned(inst.store.db);
  if (witnessed && !wanted.has(witnessed.size))
    wanted.set(witnessed.size, {
      note: witnessed.note,
      source: 'newest checkpoint witnesses cosigned',
    });
  const roots = new Map<number, Hash>();
  for (const [size, c] of [...wanted]) {
    try {
      const cp = parseCheckpoint(openNote(c.note, [signer]).text, signer.name);
      if (cp.size !== size) throw new Error('its size is not the one it is stored under');
      roots.set(size, cp.root);
    } catch (e) {
      problems.push(`the ${c.source} (size ${size}) does not verify: ${(e as Error).message}`);
      wanted.delete(size);
    }
  }
  if (opts.heldCheckpoint !== undefined) {
    try {
      const cp = parseCheckpoint(openNote(opts.heldCheckpoint, [signer]).text, signer.name);
      wanted.set(cp.size, { note: opts.heldCheckpoint, source: 'given checkpoint' });
      roots.set(cp.size, cp.root);
    } catch (e) {
      throw new VmicError(
        'MALFORMED',
        `the given checkpoint is not one of this log: ${(e as Error).message}`,
      );
    }
  }

  const leavesBySeq = new Map<number, string>();
  const peaks: { level: number; hash: Hash }[] = [];
  let n = 0;
  const compare = () => {
    const want = roots.get(n);
    if (
      want &&
      Buffer.compare(Buffer.from(rootOf(peaks.map((p) => p.hash))), Buffer.from(want)) !== 0
    )
      problems.push(
        `the log's first ${n} leaves do not have the root of the ${wanted.get(n)!.source}`,
      );
  };
  compare();
  for (let after = -1; ;) {
    const page = await inst.store.db
      .selectFrom('log_leaves')
      .select(['idx', 'data'])
      .where('idx', '>', after)
      .orderBy('idx')
      .limit(1000)
      .execute();
    if (page.length === 0) break;
    for (const row of page) {
      if (Number(row.idx) !== n) problems.push(`leaf ${n} is missing`);
      let entry = { level: 0, hash: leafHash(row.data) };
      while (peaks.length && peaks[peaks.length - 1]!.level === entry.level) {
        const left = peaks.pop()!;
        entry = { level: entry.level + 1, hash: nodeHash(left.hash, entry.hash) };
      }
      peaks.push(entry);
      n++;
      compare();
      const m = /^audit (\d+) ([0-9a-f]{64})\n$/.exec(Buffer.from(row.data).toString('utf8'));
      if (m) leavesBySeq.set(Number(m[1]), m[2]!);
    }
    after = Number(page[page.length - 1]!.idx);
  }
  for (const size of wanted.keys())
    if (size > n)
      problems.push(`the ${wanted.get(size)!.source} has ${size} leaves, the log only ${n}`);

  const firstLoggedSeq = leavesBySeq.size ? Math.min(...leavesBySeq.keys()) : undefined;
  let logged = 0;
  if (firstLoggedSeq !== undefined)
    for await (const r of iterateAudit(inst.store.db, { fromSeq: firstLoggedSeq })) {
      const leafHashHex = leavesBySeq.get(r.seq);
      if (leafHashHex === undefined) problems.push(`audit entry ${r.seq} has no leaf in the log`);
      else if (
        Buffer.compare(
          Buffer.from(auditLeaf(r.seq, r.hash)),
          Buffer.from(auditLeaf(r.seq, leafHashHex)),
        ) !== 0
      )
        problems.push(
          `audit entry ${r.seq} is not the entry the log recorded (chain hash ${r.hash}, logged ${leafHashHex})`,
        );
      else logged++;
      leavesBySeq.delete(r.seq);
    }
  for (const seq of leavesBySeq.keys())
    problems.push(`the log records audit entry ${seq}, which is gone`);
  return {
    ok: problems.length === 0,
    problems,
    logged,
    firstLoggedSeq,
    checkpoints: [...wanted].map(([size, c]) => ({ size, source: c.source })),
  };
}
