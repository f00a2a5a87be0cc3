import { sql, type Kysely } from 'kysely';

/**
 * Schema for migration crash safety, refused transfers and peers' issuer pins (docs/design.md §8):
 * - `migrations.owner`: the process running a record (see catalog/cleanup/process-owner.ts),
 *   so that start-up cleanup marks the records of a process that is gone INTERRUPTED;
 * - `refused_transfers`: transfers refused before a migration record could exist (the
 *   manifest stage: unknown peer, bad signature, wrong recipient, replay, clock), with the
 *   sender they claimed, so operators see them beside the migrations and not only in the
 *   audit log;
 * - `peers.expect_issuer` / `issuer_key_id` / `issuer_pinned`: the issuing CA of the peer's
 *   certificate, configured (`--expect-issuer`) or learned on first verified use.
 */
export async function up0008(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('migrations').addColumn('owner', 'text').execute();
  await db.schema
    .createTable('refused_transfers')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('rule', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('via', 'text', (c) => c.notNull())
    .addColumn('claimed_sender', 'text')
    .addColumn('peer', 'text')
    .addColumn('migration_id', 'text')
    .addColumn('image', 'text')
    .addColumn('sender_verified', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .createIndex('refused_transfers_at')
    .on('refused_transfers')
    .column('at')
    .execute();
  await db.schema.alterTable('peers').addColumn('expect_issuer', 'text').execute();
  await db.schema.alterTable('peers').addColumn('issuer_key_id', 'text').execute();
  await db.schema
    .alterTable('peers')
    .addColumn('issuer_pinned', 'text', (c) =>
      c.check(sql`issuer_pinned is null or issuer_pinned in ('configured','first-use')`),
    )
    .execute();
}
