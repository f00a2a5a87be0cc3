import { checkpointText, signNote } from '../../tlog/index.ts';
import type { Instance } from '../instance.ts';
import type { Queryable } from '../store/database.ts';
import { lockedTransaction } from '../store/write-transaction.ts';
import { logRoot, logSize } from './instance-log.ts';
import { logSigner } from './log-key.ts';

/** The newest signed checkpoint, or undefined before the first. */
export async function latestCheckpoint(
  db: Queryable,
): Promise<{ size: number; note: string } | undefined> {
  const row = await db
    .selectFrom('log_checkpoints')
    .select(['size', 'note'])
    .orderBy('size', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? { size: Number(row.size), note: row.note } : undefined;
}

/**
 * Signs a checkpoint of the whole log when the newest one is older: after every write
 * transaction that appended (store.afterLogAppend), and before a checkpoint is served.
 * Under the write lock, so that two replicas never sign two notes for one size.
 */
export async function signLatestCheckpoint(
  inst: Instance,
): Promise<{ size: number; note: string }> {
  const signer = await logSigner(inst);
  return lockedTransaction(inst.store, async (tx) => {
    const size = await logSize(tx);
    const latest = await latestCheckpoint(tx);
    // An empty log gets a checkpoint too (size 0, the empty tree's hash): sites can pin from the start.
    if (latest && latest.size >= size) return latest;
    const root = await logRoot(tx, size);
    const note = signNote(checkpointText({ origin: signer.name, size, root, extensions: [] }), [
      signer,
    ]);
    await tx
      .insertInto('log_checkpoints')
      .values({ size, note, signed_at: inst.now().toISOString() })
      .execute();
    return { size, note };
  });
}
