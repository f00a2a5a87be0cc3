import type { Instance } from '../instance.ts';
import { appendAudit } from '../audit/audit-log.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import type { StageName } from '../store/schema-migration.ts';

export interface MigrationRecord {
  id: string;
  direction: 'outgoing' | 'incoming';
  peer: string;
  target: string;
  image: string;
  sha256: string;
  byteSize: number;
  state: 'running' | 'done' | 'failed';
  reason: { code: string; message: string } | undefined;
  createdAt: string;
  updatedAt: string;
  stages: {
    stage: StageName;
    state: 'running' | 'done' | 'failed';
    startedAt: string;
    finishedAt: string | undefined;
    seconds: number | undefined;
    reasonCode: string | undefined;
    detail: Record<string, unknown>;
  }[];
}

/** Every stage transition is a row and an audit entry naming the migration id (DESIGN.md §8). */
export class MigrationLog {
  constructor(
    private readonly inst: Instance,
    readonly id: string,
    private readonly actor: string,
  ) {}

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
        })
        .execute();
      await appendAudit(
        tx,
        {
          actor: this.actor,
          action: `migration.${row.direction}.started`,
          subject: `migration:${this.id}`,
          details: { migrationId: this.id, peer: row.peer, image: row.image, sha256: row.sha256 },
        },
        this.inst.now(),
      );
    });
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
      await appendAudit(
        tx,
        {
          actor: this.actor,
          action: `migration.${stage}.started`,
          subject: `migration:${this.id}`,
          details: { migrationId: this.id },
        },
        this.inst.now(),
      );
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
        await appendAudit(
          tx,
          {
            actor: this.actor,
            action: `migration.${stage}.done`,
            subject: `migration:${this.id}`,
            details: { migrationId: this.id, ...full },
          },
          this.inst.now(),
        );
      });
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
        await appendAudit(
          tx,
          {
            actor: this.actor,
            action: `migration.${stage}.failed`,
            subject: `migration:${this.id}`,
            details: { migrationId: this.id, code, message: message.slice(0, 1000) },
          },
          this.inst.now(),
        );
      });
      throw e;
    }
  }

  async finish(
    state: 'done' | 'failed',
    reason?: { code: string; message: string },
  ): Promise<void> {
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
      await appendAudit(
        tx,
        {
          actor: this.actor,
          action: `migration.${state}`,
          subject: `migration:${this.id}`,
          details: { migrationId: this.id, ...(reason ? { code: reason.code } : {}) },
        },
        this.inst.now(),
      );
    });
  }
}

export async function listMigrations(inst: Instance): Promise<MigrationRecord[]> {
  const rows = await inst.store.db
    .selectFrom('migrations')
    .selectAll()
    .orderBy('created_at', 'desc')
    .limit(500)
    .execute();
  const stages = await inst.store.db
    .selectFrom('migration_stages')
    .selectAll()
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    direction: r.direction,
    peer: r.peer,
    target: r.target,
    image: r.image,
    sha256: r.sha256,
    byteSize: r.byte_size,
    state: r.state,
    reason: r.reason_code ? { code: r.reason_code, message: r.reason_message ?? '' } : undefined,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    stages: stages
      .filter((s) => s.migration_id === r.id)
      .map((s) => {
        const detail = JSON.parse(s.detail) as Record<string, unknown>;
        return {
          stage: s.stage,
          state: s.state,
          startedAt: s.started_at,
          finishedAt: s.finished_at ?? undefined,
          seconds: typeof detail.seconds === 'number' ? detail.seconds : undefined,
          reasonCode: s.reason_code ?? undefined,
          detail,
        };
      }),
  }));
}
