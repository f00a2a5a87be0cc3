import type { Kysely } from 'kysely';

/**
 * Resumable transfers (docs/design.md §8, issue 14): one row per transfer that may go on
 * from the last authenticated chunk.
 * - outgoing: the stream parameters and the data key, sealed at rest with the instance's
 *   sealing key (threat: a database copy decrypting a captured transfer), so that the next
 *   `vmic migrate` of the same image to the same peer sends only the missing chunks;
 * - incoming: the chunks held (their authenticated plaintext under
 *   `tmp/migrations/resumable/`), the accepted nonce, the sender and a check value of the
 *   data key, so that only the same sender with the same key and stream may go on.
 */
export async function up0012(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('transfer_resume')
    .addColumn('migration_id', 'text', (c) => c.primaryKey())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('byte_size', 'integer', (c) => c.notNull())
    .addColumn('chunk_bytes', 'integer', (c) => c.notNull())
    .addColumn('chunks', 'integer', (c) => c.notNull())
    .addColumn('salt', 'text', (c) => c.notNull())
    .addColumn('sealed_key', 'blob')
    .addColumn('chunks_held', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('nonce', 'text')
    .addColumn('key_check', 'text')
    .addColumn('sender', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}
