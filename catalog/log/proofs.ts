import { VmicError } from '../../errors/index.ts';
import { consistencyProof, inclusionProof } from '../../tlog/index.ts';
import type { Instance } from '../instance.ts';
import type { Queryable } from '../store/database.ts';
import { latestCheckpoint, signLatestCheckpoint } from './checkpoints.ts';
import { findLeaf, logReader, logSize } from './instance-log.ts';
import { auditLeaf, catalogLeaf } from './leaves.ts';

const b64 = (h: Uint8Array) => Buffer.from(h).toString('base64');

/**
 * The latest signed checkpoint, signing one first only if the log has grown since: two
 * reads on the usual path, so that public readers of `/log/` never take the write lock
 * (threat: anonymous requests queueing behind, or in front of, every write).
 */
export async function currentCheckpoint(inst: Instance): Promise<{ size: number; note: string }> {
  const [latest, size] = await Promise.all([
    latestCheckpoint(inst.store.db),
    logSize(inst.store.db),
  ]);
  if (latest && latest.size >= size) return latest;
  return signLatestCheckpoint(inst);
}

export interface InclusionAnswer {
  index: number;
  /** The leaf's data, base64: what the proof proves. */
  leaf: string;
  treeSize: number;
  proof: string[];
  /** The signed checkpoint of `treeSize`. */
  checkpoint: string;
}

/**
 * Where a published catalog version sits in the log, proved against the latest checkpoint.
 * A version published before the log existed is NOT_FOUND, as is one never published.
 */
export async function catalogInclusion(
  inst: Instance,
  endorser: string,
  sequence: number,
): Promise<InclusionAnswer> {
  const row = await inst.store.db
    .selectFrom('catalog_versions')
    .innerJoin('endorsers', 'endorsers.id', 'catalog_versions.endorser_id')
    .select('catalog_versions.p7m_sha256')
    .where('endorsers.name', '=', endorser)
    .where('catalog_versions.sequence', '=', sequence)
    .executeTakeFirst();
  if (!row?.p7m_sha256)
    throw new VmicError('NOT_FOUND', `no catalog ${endorser}/${sequence} published here`);
  const leaf = catalogLeaf(endorser, sequence, row.p7m_sha256);
  const index = await findLeaf(inst.store.db, leaf);
  if (index === undefined)
    throw new VmicError(
      'NOT_FOUND',
      `catalog ${endorser}/${sequence} was published before the log began`,
    );
  const cp = (await newestCosigned(inst.store.db, index + 1)) ?? (await currentCheckpoint(inst));
  const proof = await inclusionProof(index, cp.size, logReader(inst.store.db));
  return { index, leaf: b64(leaf), treeSize: cp.size, proof: proof.map(b64), checkpoint: cp.note };
}

/**
 * The newest checkpoint that witnesses cosigned, of at least `minSize` leaves (one that
 * holds the leaf a proof is for): a catalog is
 * proved under it rather than under a newer one nobody cosigned yet (the log grows with
 * every audit entry), so that sites needing cosignatures find them. Sites that saw a
 * newer checkpoint check that this one is its prefix (site/log-check.ts).
 */
export async function newestCosigned(
  db: Queryable,
  minSize = 0,
): Promise<{ size: number; note: string; cosignatures: number } | undefined> {
  const row = await db
    .selectFrom('log_checkpoints')
    .select(['size', 'note', 'cosignatures'])
    .where('cosignatures', '>', 0)
    .where('size', '>=', minSize)
    .orderBy('size', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row
    ? { size: Number(row.size), note: row.note, cosignatures: Number(row.cosignatures) }
    : undefined;
}

/** The consistency proof between two tree sizes of this log (`to` at most its size). */
export async function consistency(inst: Instance, from: number, to: number): Promise<string[]> {
  const size = await logSize(inst.store.db);
  if (
    !Number.isSafeInteger(from) ||
    !Number.isSafeInteger(to) ||
    from < 0 ||
    from > to ||
    to > size
  )
    throw new VmicError(
      'BAD_REQUEST',
      `no consistency proof from size ${from} to ${to} (the log has ${size} leaves)`,
    );
  return (await consistencyProof(from, to, logReader(inst.store.db))).map(b64);
}

/** An audit entry's leaf and its inclusion proof: what `vmic audit prove` hands a third party. */
export async function auditInclusion(
  inst: Instance,
  seq: number,
): Promise<InclusionAnswer & { seq: number }> {
  const row = await inst.store.db
    .selectFrom('audit_log')
    .select('hash')
    .where('seq', '=', seq)
    .executeTakeFirst();
  if (!row) throw new VmicError('NOT_FOUND', `no audit entry ${seq}`);
  const leaf = auditLeaf(seq, row.hash);
  const index = await findLeaf(inst.store.db, leaf);
  if (index === undefined)
    throw new VmicError(
      'NOT_FOUND',
      `audit entry ${seq} is not in the log (written before the log began, or changed since)`,
    );
  const cp = await currentCheckpoint(inst);
  const proof = await inclusionProof(index, cp.size, logReader(inst.store.db));
  return {
    seq,
    index,
    leaf: b64(leaf),
    treeSize: cp.size,
    proof: proof.map(b64),
    checkpoint: cp.note,
  };
}
