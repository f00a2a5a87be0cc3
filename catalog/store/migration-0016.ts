import type { Kysely } from 'kysely';

/**
 * The instance's transparency log (issue 17): its leaves, the hashes of its complete
 * subtrees (every proof and tile is read from these in O(log n) rows), and the checkpoint
 * signed for each tree size. Appended to in the same write transaction as what a leaf
 * records (a published catalog version, a HEPiX list, an audit entry): a change is never
 * committed without its leaf, nor a leaf without its change.
 */
export async function up0016(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('log_leaves')
    .addColumn('idx', 'integer', (c) => c.primaryKey())
    .addColumn('data', 'blob', (c) => c.notNull())
    .addColumn('logged_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('log_hashes')
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('hash', 'blob', (c) => c.notNull())
    .addPrimaryKeyConstraint('log_hashes_pk', ['level', 'idx'])
    .execute();
  await db.schema
    .createTable('log_checkpoints')
    .addColumn('size', 'integer', (c) => c.primaryKey())
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('signed_at', 'text', (c) => c.notNull())
    .execute();
}
