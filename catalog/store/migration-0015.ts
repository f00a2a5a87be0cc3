import type { Kysely } from 'kysely';

/**
 * Running migration records of replicas on several hosts (issue 15):
 *
 * - `migrations.host`: the host that runs the record (process-owner.ts hostTag). The owner
 *   token (pid, start time, boot id) means something only on its own host: checked on
 *   another, the boot id differs and the owner looks dead, so every start-up cleanup on
 *   host A failed host B's live migrations as INTERRUPTED.
 * - `migrations.heartbeat_at`: renewed while the record runs (migration/records.ts), so
 *   that another host can tell a live migration from one whose host crashed, by age.
 *
 * Both NULL for records written before this migration: those keep the pid check alone
 * (catalog/cleanup/interrupted-records.ts). SQLite adds one column per ALTER TABLE.
 */
export async function up0015(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('migrations').addColumn('host', 'text').execute();
  // ISO 8601 UTC text, as the other times: it compares in order as text on both stores.
  await db.schema.alterTable('migrations').addColumn('heartbeat_at', 'text').execute();
}
