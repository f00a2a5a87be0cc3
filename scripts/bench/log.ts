import crypto from 'node:crypto';
import { publishCatalog, type Instance } from '../../catalog/index.ts';
import { signLatestCheckpoint } from '../../catalog/log/checkpoints.ts';
import { appendLogLeaves, logReader, logSize } from '../../catalog/log/instance-log.ts';
import { writeTransaction } from '../../catalog/store/write-transaction.ts';
import type { DemoHierarchy } from '../../pki/index.ts';
import {
  consistencyProof,
  inclusionProof,
  leafHash,
  treeHash,
  verifyConsistency,
  verifyInclusion,
} from '../../tlog/index.ts';
import { benchEndorser } from './bench-instances.ts';

const SMALL = 1_000;
const LARGE = 100_000;
const BATCH = 1_000;
const PROOFS = 200;
const PUBLISH_IMAGES = 1_000;
const PUBLISH_RUNS = 5;

export function since(t: bigint): number {
  return Number(process.hrtime.bigint() - t) / 1e9;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function auditLine(i: number): Uint8Array {
  const hex = crypto.createHash('sha256').update(String(i)).digest('hex');
  return Buffer.from(`audit ${i} ${hex}\n`, 'utf8');
}

/** Appends leaves until the log has `target`, in write transactions of BATCH; the seconds spent. */
async function growTo(inst: Instance, target: number): Promise<{ leaves: number; s: number }> {
  let size = await logSize(inst.store.db);
  let leaves = 0;
  let s = 0;
  while (size < target) {
    const n = Math.min(BATCH, target - size);
    const batch = Array.from({ length: n }, (_, k) => auditLine(size + k));
    const t = process.hrtime.bigint();
    await writeTransaction(inst.store, (tx) => appendLogLeaves(tx, batch, inst.now()));
    s += since(t);
    size += n;
    leaves += n;
  }
  return { leaves, s };
}

/** µs per inclusion and per consistency proof at the log's current size; a few verified. */
async function proofTimes(inst: Instance): Promise<{ size: number; incl: number; cons: number }> {
  const db = inst.store.db;
  const read = logReader(db);
  const size = await logSize(db);
  const pick = () => Math.floor(Math.random() * size);
  const indexes = Array.from({ length: PROOFS }, pick);
  const froms = Array.from({ length: PROOFS }, () => 1 + Math.floor(Math.random() * (size - 1)));
  // Untimed first: the first proofs pay for the JIT and the statement's preparation, not the tree.
  for (let k = 0; k < 50; k++) {
    await inclusionProof(pick(), size, read);
    await consistencyProof(froms[k]!, size, read);
  }
  let t = process.hrtime.bigint();
  for (const i of indexes) await inclusionProof(i, size, read);
  const incl = (since(t) * 1e6) / PROOFS;
  t = process.hrtime.bigint();
  for (const m of froms) await consistencyProof(m, size, read);
  const cons = (since(t) * 1e6) / PROOFS;
  // A figure of wrong proofs is no figure: a few checked against the root.
  const root = await treeHash(size, read);
  for (const i of indexes.slice(0, 5)) {
    const row = await db
      .selectFrom('log_leaves')
      .select('data')
      .where('idx', '=', i)
      .executeTakeFirstOrThrow();
    const proof = await inclusionProof(i, size, read);
    if (!verifyInclusion(i, size, leafHash(row.data), proof, root))
      throw new Error(`inclusion proof of leaf ${i} in ${size} does not verify`);
  }
  for (const m of froms.slice(0, 5)) {
    const proof = await consistencyProof(m, size, read);
    if (!verifyConsistency(m, size, await treeHash(m, read), root, proof))
      throw new Error(`consistency proof ${m} -> ${size} does not verify`);
  }
  return { size, incl, cons };
}

/**
 * The log's own work in one publish (its 3 leaves: catalog, hepix, audit, appended inside
 * the transaction, then the checkpoint signed after commit), timed apart on `inst`: median
 * of 5 of (append of 3 leaves inside a write transaction + one signLatestCheckpoint).
 */
async function logWork(inst: Instance): Promise<{ size: number; ms: number }> {
  const after = inst.store.afterLogAppend;
  inst.store.afterLogAppend = undefined; // signed below, timed on its own
  const runs: number[] = [];
  try {
    for (let r = 0; r < 5; r++) {
      const size = await logSize(inst.store.db);
      const leaves = [0, 1, 2].map((k) => auditLine(size + k));
      let append = 0;
      await writeTransaction(inst.store, async (tx) => {
        const t = process.hrtime.bigint();
        await appendLogLeaves(tx, leaves, inst.now());
        append = since(t);
      });
      const t = process.hrtime.bigint();
      const cp = await signLatestCheckpoint(inst);
      if (cp.size !== size + 3) throw new Error(`checkpoint of ${cp.size}, not ${size + 3}`);
      runs.push((append + since(t)) * 1e3);
    }
  } finally {
    inst.store.afterLogAppend = after;
  }
  return { size: await logSize(inst.store.db), ms: median(runs) };
}

/**
 * (j) The transparency log on SQLite: appending 100,000 leaves in write transactions of
 * 1,000, a checkpoint's signing, inclusion and consistency proofs at 1,000 and at 100,000
 * leaves (O(log n)), and the log's share of a publish of 1,000 images.
 */
export async function logBench(h: DemoHierarchy, work: string): Promise<void> {
  const inst = await benchEndorser(h, work, 0, 'log-');
  let publisher: Instance | undefined;
  try {
    const start = await logSize(inst.store.db);
    // Each transaction's after-commit signing is left out of the append figure: timed once below.
    const after = inst.store.afterLogAppend;
    inst.store.afterLogAppend = undefined;
    const first = await growTo(inst, SMALL);
    const small = await proofTimes(inst);
    const rest = await growTo(inst, LARGE);
    inst.store.afterLogAppend = after;
    const appended = first.leaves + rest.leaves;
    const appendS = first.s + rest.s;
    let t = process.hrtime.bigint();
    const cp = await signLatestCheckpoint(inst);
    const signMs = since(t) * 1e3;
    if (cp.size !== LARGE) throw new Error(`checkpoint of ${cp.size} leaves, not ${LARGE}`);
    const large = await proofTimes(inst);
    const big = await logWork(inst);

    publisher = await benchEndorser(h, work, PUBLISH_IMAGES, 'log-publish-');
    const publishes: number[] = [];
    for (let r = 0; r < PUBLISH_RUNS; r++) {
      t = process.hrtime.bigint();
      const v = await publishCatalog(publisher, { endorser: 'bench', actor: 'bench' });
      publishes.push(since(t) * 1e3);
      if (v.imageCount !== PUBLISH_IMAGES) throw new Error('wrong image count');
    }
    const publishMs = median(publishes);
    const own = await logWork(publisher);

    const per = (n: number) => `${n.toFixed(0)} µs`;
    const pct = (ms: number) => `${((ms / publishMs) * 100).toFixed(1)}%`;
    console.log('(j) transparency log on SQLite (RFC 6962 tree in log_leaves / log_hashes):');
    console.log(
      `    append ${appended.toLocaleString('en')} leaves (log had ${start}) in transactions of ${BATCH.toLocaleString('en')}: ${appendS.toFixed(2)} s, ${(appended / appendS).toFixed(0)} leaves/s`,
    );
    console.log(
      `    signLatestCheckpoint at ${LARGE.toLocaleString('en')} leaves: ${signMs.toFixed(1)} ms`,
    );
    console.log(
      `    per proof, mean of ${PROOFS} random: inclusion ${per(small.incl)} at ${small.size.toLocaleString('en')}, ${per(large.incl)} at ${large.size.toLocaleString('en')} (ratio ${(large.incl / small.incl).toFixed(2)}); consistency ${per(small.cons)} / ${per(large.cons)} (ratio ${(large.cons / small.cons).toFixed(2)}); log2 ratio ${(Math.log2(LARGE) / Math.log2(SMALL)).toFixed(2)}`,
    );
    console.log(
      `    publish of ${PUBLISH_IMAGES.toLocaleString('en')} images: median of ${PUBLISH_RUNS} ${publishMs.toFixed(0)} ms (runs ${publishes.map((ms) => ms.toFixed(0)).join(', ')})`,
    );
    console.log(
      `    log work of one publish (3 leaves + checkpoint signing, median of 5): ${own.ms.toFixed(1)} ms at ${own.size} leaves = ${pct(own.ms)} of the publish; ${big.ms.toFixed(1)} ms at ${big.size.toLocaleString('en')} leaves = ${pct(big.ms)} (goal < 10%)`,
    );
  } finally {
    await publisher?.close();
    await inst.close();
  }
}
