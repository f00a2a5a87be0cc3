import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../store/database.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { hostTag, ownerAlive } from './process-owner.ts';

const BUNDLE_ID = /^[0-9a-f-]{36}$/;

/** How often a running migration record's heartbeat is renewed (migration/records.ts). */
export const MIGRATION_HEARTBEAT_MS = 30_000;

/**
 * After this long without a heartbeat, another host's running record is taken for one
 * whose host crashed. Ten missed beats: a replica slowed by a busy database, a long pause
 * or a clock a little off (NTP keeps hosts within well under a second) is not failed
 * under its live migration, and a crashed host's record is still failed within minutes.
 */
export const MIGRATION_STALE_MS = 10 * MIGRATION_HEARTBEAT_MS;

interface RunningRow {
  id: string;
  owner: string | null;
  host: string | null;
  heartbeat_at: string | null;
  updated_at: string;
  target: string;
  direction: 'outgoing' | 'incoming';
}

/**
 * Why a running record is interrupted, or undefined when its process may still run it.
 * The owner token (pid, start time, boot id) is checked only on the host that wrote it:
 * on another host its boot id differs and it always looks dead (threat: every start of a
 * replica, and every command, on host A failing host B's live migrations). A record of
 * another host is judged by the age of its heartbeat instead. Records without a host
 * predate migration 0015 and keep the owner check alone.
 */
function interruption(
  r: RunningRow,
  now: Date,
  alive: (owner: string) => boolean,
): string | undefined {
  if (r.owner === null) return 'interrupted: the process that ran this migration is gone';
  if (r.host !== null && r.host !== hostTag()) {
    const last = r.heartbeat_at ?? r.updated_at;
    if (now.getTime() - Date.parse(last) <= MIGRATION_STALE_MS) return undefined;
    return `interrupted: host ${r.host} that ran this migration stopped renewing it (last heartbeat ${last}; crash, power loss or network cut)`;
  }
  if (alive(r.owner)) return undefined;
  return `interrupted: process ${r.owner.split('.')[0]} that ran this migration is gone (crash, kill or power loss)`;
}

/**
 * Migration records left `running` by a process that is gone (kill -9, power loss) become
 * `failed` with reason INTERRUPTED, their running stage too, each audited; the partial
 * bundle of an interrupted `migrate --dir` is removed. Records without an owner predate
 * owners (schema 0008) and so cannot belong to a process running this code: they count
 * as interrupted. Records of another host count once their heartbeat is older than
 * MIGRATION_STALE_MS. Returns the ids marked.
 */
export async function failInterruptedMigrations(
  store: Store,
  now: Date,
  alive: (owner: string) => boolean = ownerAlive,
): Promise<string[]> {
  const running = await store.db
    .selectFrom('migrations')
    .select(['id', 'owner', 'host', 'heartbeat_at', 'updated_at', 'target', 'direction'])
    .where('state', '=', 'running')
    .execute();
  const dead = running.flatMap((r) => {
    const message = interruption(r, now, alive);
    return message === undefined ? [] : [{ ...r, message }];
  });
  if (dead.length === 0) return [];
  const at = now.toISOString();
  const marked: string[] = [];
  await writeTransaction(store, async (tx) => {
    for (const r of dead) {
      // Only the row as it was judged: still running (a concurrent cleanup may have got
      // there first), by the same owner (a resume may have reopened it since), and with
      // the same heartbeat (another host's replica that beat since the read is alive).
      // On PostgreSQL the update re-reads a row changed meanwhile (READ COMMITTED), so a
      // beat committed during this transaction still keeps the record.
      const u = await tx
        .updateTable('migrations')
        .set({
          state: 'failed',
          reason_code: 'INTERRUPTED',
          reason_message: r.message,
          updated_at: at,
        })
        .where('id', '=', r.id)
        .where('state', '=', 'running')
        .where('owner', r.owner === null ? 'is' : '=', r.owner)
        .where('heartbeat_at', r.heartbeat_at === null ? 'is' : '=', r.heartbeat_at)
        .executeTakeFirst();
      if (Number(u.numUpdatedRows) === 0) continue;
      await tx
        .updateTable('migration_stages')
        .set({
          state: 'failed',
          finished_at: at,
          reason_code: 'INTERRUPTED',
          detail: JSON.stringify({ message: r.message }),
        })
        .where('migration_id', '=', r.id)
        .where('state', '=', 'running')
        .execute();
      await appendAudit(tx, {
        at: now,
        actor: 'startup-cleanup',
        action: 'migration.failed',
        subject: `migration:${r.id}`,
        details: {
          migrationId: r.id,
          code: 'INTERRUPTED',
          owner: r.owner,
          ...(r.host === null ? {} : { host: r.host, heartbeatAt: r.heartbeat_at }),
        },
      });
      marked.push(r.id);
    }
  });
  // The bundle's name holds the migration id: on this host it is the interrupted run's
  // own file, and a record of another host names no file here unless the directory is
  // shared, when it is that (dead) run's file too.
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
