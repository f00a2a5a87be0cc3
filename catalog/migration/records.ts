import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import type { StageName } from '../store/schema-transfers.ts';
import { currentOwner, hostTag } from '../cleanup/process-owner.ts';
import { startHeartbeat } from './record-heartbeat.ts';
import { observe } from '../observe.ts';

// Listing migrations lives in migration-list.ts; re-exported so that callers keep importing records.ts.
export { listMigrations, type MigrationRecord } from './migration-list.ts';

/** Every stage transition is a row and an audit entry naming the migration id (docs/design.md §8). */
export class MigrationLog {
  /** Stops the heartbeat of the running record (record-heartbeat.ts). */
  #stopBeat: (() => void) | undefined;

  constructor(
    private readonly inst: Instance,
    readonly id: string,
    private readonly actor: string,
  ) {}

  #startBeating(): void {
    this.#stopBeating();
    this.#stopBeat = startHeartbeat(this.inst, this.id);
  }

  #stopBeating(): void {
    this.#stopBeat?.();
    this.#stopBeat = undefined;
  }

  async create(row: {
    direction: 'outgoing' | 'incoming';
    peer: string;
    target: string;
    image: string;
    sha256: string;
    byteSize: number;
  }): Promise<void> {
    const at = this.inst.now().toISOString();
    await writeTransaction(this.inst.store, async (tx) => {
      await tx
        .insertInto('migrations')
        .values({
          id: this.id,
          direction: row.direction,
          peer: row.peer,
          target: row.target,
          image: row.image,
          sha256: row.sha256,
          byte_size: row.byteSize,
          state: 'running',
          reason_code: null,
          reason_message: null,
          created_at: at,
          updated_at: at,
          owner: currentOwner(),
          host: hostTag(),
          heartbeat_at: at,
        })
        .execute();
      await appendAudit(tx, {
        at: this.inst.now(),
        actor: this.actor,
        action: `migration.${row.direction}.started`,
        subject: `migration:${this.id}`,
        details: { migrationId: this.id, peer: row.peer, image: row.image, sha256: row.sha256 },
      });
    });
    this.#startBeating();
  }

  /** A failed transfer going on from its last authenticated chunk: running again, audited. */
  async reopen(direction: 'outgoing' | 'incoming', fromChunk: number): Promise<void> {
    const at = this.inst.now().toISOString();
    await writeTransaction(this.inst.store, async (tx) => {
      await tx
        .updateTable('migrations')
        .set({
          state: 'running',
          reason_code: null,
          reason_message: null,
          updated_at: at,
          owner: currentOwner(),
          host: hostTag(),
          heartbeat_at: at,
        })
        .where('id', '=', this.id)
        .execute();
      await appendAudit(tx, {
        at: this.inst.now(),
        actor: this.actor,
        // Audited as started again, with the chunk it resumes from (the audit vocabulary
        // is shared and closed: catalog/audit/audit-log.ts).
        action: `migration.${direction}.started`,
        subject: `migration:${this.id}`,
        details: { migrationId: this.id, resumedFromChunk: fromChunk },
      });
    });
    this.#startBeating();
  }

  async stage<T>(
    stage: StageName,
    run: () => Promise<{ result: T; detail: Record<string, unknown> }>,
  ): Promise<T> {
    const started = this.inst.now();
    const row = await writeTransaction(this.inst.store, async (tx) => {
      const r = await tx
        .insertInto('migration_stages')
        .values({
          migration_id: this.id,
          stage,
          state: 'running',
          started_at: started.toISOString(),
          finished_at: null,
          reason_code: null,
          detail: '{}',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await appendAudit(tx, {
        at: this.inst.now(),
        actor: this.actor,
        action: `migration.${stage}.started`,
        subject: `migration:${this.id}`,
        details: { migrationId: this.id },
      });
      return r;
    });
    try {
      const { result, detail } = await run();
      const finished = this.inst.now();
      const full = { ...detail, seconds: (finished.getTime() - started.getTime()) / 1000 };
      await writeTransaction(this.inst.store, async (tx) => {
        await tx
          .updateTable('migration_stages')
          .set({ state: 'done', finished_at: finished.toISOString(), detail: JSON.stringify(full) })
          .where('id', '=', row.id)
          .execute();
        await appendAudit(tx, {
          at: this.inst.now(),
          actor: this.actor,
          action: `migration.${stage}.done`,
          subject: `migration:${this.id}`,
          details: { migrationId: this.id, ...full },
        });
      });
      observe(this.inst, { type: 'migration', stage, result: 'done' });
      return result;
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'INTERNAL';
      const message = (e as Error).message ?? String(e);
      await writeTransaction(this.inst.store, async (tx) => {
        await tx
          .updateTable('migration_stages')
          .set({
            state: 'failed',
            finished_at: this.inst.now().toISOString(),
            reason_code: code,
            detail: JSON.stringify({ message: message.slice(0, 1000) }),
          })
          .where('id', '=', row.id)
          .execute();
        await appendAudit(tx, {
          at: this.inst.now(),
          actor: this.actor,
          action: `migration.${stage}.failed`,
          subject: `migration:${this.id}`,
          details: { migrationId: this.id, code, message: message.slice(0, 1000) },
        });
      });
      observe(this.inst, { type: 'migration', stage, result: code });
      throw e;
    }
  }

  async finish(
    state: 'done' | 'failed',
    reason?: { code: string; message: string },
  ): Promise<void> {
    this.#stopBeating();
    await writeTransaction(this.inst.store, async (tx) => {
      await tx
        .updateTable('migrations')
        .set({
          state,
          reason_code: reason?.code ?? null,
          reason_message: reason?.message.slice(0, 1000) ?? null,
          updated_at: this.inst.now().toISOString(),
        })
        .where('id', '=', this.id)
        .execute();
      await appendAudit(tx, {
        at: this.inst.now(),
        actor: this.actor,
        action: `migration.${state}`,
        subject: `migration:${this.id}`,
        details: { migrationId: this.id, ...(reason ? { code: reason.code } : {}) },
      });
    });
  }
}

/** What is known of a transfer refused at the manifest stage. */
export interface RefusedTransfer {
  code: string;
  rule: string | undefined;
  message: string;
  via: string;
  claimedSender: { subject: string; verified: boolean } | undefined;
  peer: string | undefined;
  migrationId: string | undefined;
  image: string | undefined;
}

/**
 * Records a refusal that happened before a migration record could be opened, with its
 * audit entry, in one transaction: operators see it in `vmic migrations` and on the web
 * page, not only in the audit log.
 */
export async function recordRefusedTransfer(
  inst: Instance,
  r: RefusedTransfer,
  actor: string,
): Promise<void> {
  const at = inst.now().toISOString();
  await writeTransaction(inst.store, async (tx) => {
    await tx
      .insertInto('refused_transfers')
      .values({
        at,
        code: r.code,
        rule: r.rule ?? null,
        message: r.message.slice(0, 1000),
        via: r.via.slice(0, 500),
        claimed_sender: r.claimedSender?.subject.slice(0, 1000) ?? null,
        sender_verified: r.claimedSender?.verified ? 1 : 0,
        peer: r.peer ?? null,
        migration_id: r.migrationId ?? null,
        image: r.image?.slice(0, 1000) ?? null,
      })
      .execute();
    await appendAudit(tx, {
      at: inst.now(),
      actor,
      action: 'migration.import.refused',
      subject: r.via.slice(0, 500),
      details: {
        code: r.code,
        rule: r.rule ?? null,
        message: r.message.slice(0, 500),
        claimedSender: r.claimedSender?.subject.slice(0, 1000) ?? null,
        senderVerified: r.claimedSender?.verified ?? false,
        migrationId: r.migrationId ?? null,
      },
    });
  });
  // Refused before a record existed: the import stage, which reads the manifest first.
  observe(inst, { type: 'migration', stage: 'import', result: r.code });
}
