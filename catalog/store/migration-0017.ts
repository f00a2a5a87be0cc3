import type { Kysely } from 'kysely';

/**
 * Sites check the transparency log on import, and witness logs for each other (issue 17,
 * docs/design.md §13).
 *
 * - subscriptions gain their log policy (`require | warn | off`; rows made before the log
 *   existed are `off`, so that an upgrade changes no site's behaviour unasked), the log's
 *   verifier key with how it was learned, and the witnesses whose cosignatures they need.
 * - log_views: the largest checkpoint this instance has seen of each log, by origin. Both
 *   imports and the witness role read and grow it; it never shrinks (threat: a log showing
 *   this site a shorter or forked history than the one it showed before).
 * - log_evidence: each fork found, with both signed checkpoints, for the operator.
 * - log_witnesses: the witnesses this instance's own log asks for cosignatures at publish,
 *   and log_checkpoints.cosignatures how many cosigned each checkpoint.
 */
export async function up0017(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('subscriptions')
    .addColumn('log_policy', 'text', (c) => c.notNull().defaultTo('off'))
    .execute();
  for (const col of ['log_key', 'log_key_source', 'log_key_at', 'log_witnesses'])
    await db.schema.alterTable('subscriptions').addColumn(col, 'text').execute();
  await db.schema
    .alterTable('subscriptions')
    .addColumn('log_witness_quorum', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  // How many witnesses cosigned each checkpoint: proofs are served under the newest
  // cosigned one, so that sites which need cosignatures find them.
  await db.schema
    .alterTable('log_checkpoints')
    .addColumn('cosignatures', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createTable('log_views')
    .addColumn('origin', 'text', (c) => c.primaryKey())
    .addColumn('log_key', 'text', (c) => c.notNull())
    .addColumn('url', 'text')
    .addColumn('size', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('root', 'blob')
    .addColumn('note', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('log_evidence')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('subscription', 'text')
    .addColumn('found_by', 'text', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('held_note', 'text', (c) => c.notNull())
    .addColumn('served_note', 'text', (c) => c.notNull())
    .addColumn('found_at', 'text', (c) => c.notNull())
    .addColumn('acknowledged_at', 'text')
    .addColumn('acknowledged_by', 'text')
    .execute();
  await db.schema
    .createTable('log_witnesses')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('added_at', 'text', (c) => c.notNull())
    .execute();
}
