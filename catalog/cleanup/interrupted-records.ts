import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../store/database.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { ownerAlive } from './process-owner.ts';

const BUNDLE_ID = /^[0-9a-f-]{36}$/;

/**
 * Migration records left `running` by a process that is gone (kill -9, power loss) become
 * `failed` with reason INTERRUPTED, their running stage too, each audited; the partial
 * bundle of an interrupted `migrate --dir` is removed. Records without an owner predate
 * owners (schema 0008) and so cannot belong to a process running this code: they count
 * as interrupted. Returns the ids marked.
 */
export async function failInterruptedMigrations(
  store: Store,
  now: Date,
  alive: (owner: string) => boolean = ownerAlive,
): Promise<string[]> {
  const running = await store.db
    .selectFrom('migrations')
    .select(['id', 'owner', 'target', 'direction'])
    .where('state', '=', 'running')
    .execute();
  const dead = running.filter((r) => r.owner === null || !alive(r.owner));
  if (dead.length === 0) return [];
  const at = now.toISOString();
  const marked: string[] = [];
  await writeTransaction(store, async (tx) => {
    for (const r of dead) {
      const message =
        r.owner === null
          ? 'interrupted: the process that ran this migration is gone'
          : `interrupted: process ${r.owner.split('.')[0]} that ran this migration is gone (crash, kill or power loss)`;
      // Only a row still running is changed: a concurrent cleanup may have got there first.
      const u = await tx
        .updateTable('migrations')
        .set({
          state: 'failed',
          reason_code: 'INTERRUPTED',
          reason_message: message,
          updated_at: at,
        })
        .where('id', '=', r.id)
        .where('state', '=', 'running')
        .executeTakeFirst();
      if (Number(u.numUpdatedRows) === 0) continue;
      await tx
        .updateTable('migration_stages')
        .set({
          state: 'failed',
          finished_at: at,
          reason_code: 'INTERRUPTED',
          detail: JSON.stringify({ message }),
        })
        .where('migration_id', '=', r.id)
        .where('state', '=', 'running')
        .execute();
      await appendAudit(tx, {
        at: now,
        actor: 'startup-cleanup',
        action: 'migration.failed',
        subject: `migration:${r.id}`,
        details: { migrationId: r.id, code: 'INTERRUPTED', owner: r.owner },
      });
      marked.push(r.id);
    }
  });
  for (const r of dead)
    if (marked.includes(r.id) && r.direction === 'outgoing' && r.target.startsWith('dir:'))
      removePartialBundle(r.target.slice('dir:'.length), r.id);
  return marked;
}

/** `<dir>/<id>.vmic-transfer.part` (migrate.ts bundlePartPath); the id comes from our own record. */
function removePartialBundle(dir: string, id: string): void {
  if (!BUNDLE_ID.test(id) || !path.isAbsolute(dir)) return;
  fs.rmSync(path.join(dir, `${id}.vmic-transfer.part`), { force: true });
}
