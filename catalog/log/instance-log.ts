import { appendHashes, leafHash, treeHash, type Hash, type HashReader } from '../../tlog/index.ts';
import type { Queryable } from '../store/database.ts';
import type { Tx } from '../store/write-transaction.ts';

/**
 * The instance's append-only Merkle log, kept in the database (migration 0016). Leaves are
 * appended only inside a write transaction (write-transaction.ts), whose lock makes the
 * size read here the true end of the log (threat: two writers appending leaf n twice, two
 * trees). Transactions that appended are remembered, so that the write transaction signs
 * the new checkpoint once it has committed.
 */
const GREW = new WeakSet<object>();

export function logGrewIn(tx: object): boolean {
  return GREW.has(tx);
}

export async function logSize(db: Queryable): Promise<number> {
  const row = await db
    .selectFrom('log_leaves')
    .select((eb) => eb.fn.max('idx').as('last'))
    .executeTakeFirst();
  const last = row?.last;
  return last === null || last === undefined ? 0 : Number(last) + 1;
}

/** Complete-subtree hashes from the database; a missing one is a broken log, and says so. */
export function logReader(db: Queryable): HashReader {
  return async (level, index) => {
    const row = await db
      .selectFrom('log_hashes')
      .select('hash')
      .where('level', '=', level)
      .where('idx', '=', index)
      .executeTakeFirst();
    if (!row) throw new Error(`the transparency log has no hash at level ${level}, index ${index}`);
    return Buffer.from(row.hash);
  };
}

/** Appends leaves in order inside the caller's write transaction; returns their indexes. */
export async function appendLogLeaves(
  tx: Tx,
  leaves: readonly Uint8Array[],
  at: Date,
): Promise<number[]> {
  let size = await logSize(tx);
  const read = logReader(tx);
  const indexes: number[] = [];
  for (const data of leaves) {
    await tx
      .insertInto('log_leaves')
      .values({ idx: size, data, logged_at: at.toISOString() })
      .execute();
    const hashes = await appendHashes(size, leafHash(data), read);
    await tx
      .insertInto('log_hashes')
      .values(hashes.map((h) => ({ level: h.level, idx: h.index, hash: h.hash })))
      .execute();
    indexes.push(size++);
  }
  GREW.add(tx);
  return indexes;
}

export function logRoot(db: Queryable, size: number): Promise<Hash> {
  return treeHash(size, logReader(db));
}

/** The index of the first leaf with exactly these bytes, if logged. */
export async function findLeaf(db: Queryable, data: Uint8Array): Promise<number | undefined> {
  const row = await db
    .selectFrom('log_leaves')
    .select('idx')
    .where('data', '=', data)
    .orderBy('idx')
    .limit(1)
    .executeTakeFirst();
  return row ? Number(row.idx) : undefined;
}
