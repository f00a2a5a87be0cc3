import type { Instance } from '../instance.ts';
import type { StageName } from '../store/schema-transfers.ts';

/** One transfer as `vmic migrations` and the web page list it: a migration record or a refusal. */
export interface MigrationRecord {
  id: string;
  direction: 'outgoing' | 'incoming';
  peer: string;
  target: string;
  image: string;
  sha256: string;
  byteSize: number;
  /** `refused`: an incoming transfer refused at the manifest stage (no record could exist). */
  state: 'running' | 'done' | 'failed' | 'refused';
  reason: { code: string; message: string; rule?: string | undefined } | undefined;
  /** For refusals: the sender the transfer claimed, and whether its signature proved it. */
  claimedSender?: { subject: string; verified: boolean } | undefined;
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

/** The latest 500 migrations and refused transfers, newest first, each with its stages. */
export async function listMigrations(inst: Instance): Promise<MigrationRecord[]> {
  const rows = await inst.store.db
    .selectFrom('migrations')
    .selectAll()
    .orderBy('created_at', 'desc')
    .limit(500)
    .execute();
  const refused = await inst.store.db
    .selectFrom('refused_transfers')
    .selectAll()
    .orderBy('id', 'desc')
    .limit(500)
    .execute();
  const stages = await inst.store.db
    .selectFrom('migration_stages')
    .selectAll()
    .orderBy('id')
    .execute();
  const records: MigrationRecord[] = rows.map((r) => ({
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
  const refusals: MigrationRecord[] = refused.map((r) => ({
    id: `refused-${r.id}`,
    direction: 'incoming',
    peer: r.peer ?? '',
    target: r.via,
    image: r.image ?? '',
    sha256: '',
    byteSize: 0,
    state: 'refused',
    reason: { code: r.code, message: r.message, rule: r.rule ?? undefined },
    claimedSender: r.claimed_sender
      ? { subject: r.claimed_sender, verified: r.sender_verified === 1 }
      : undefined,
    createdAt: r.at,
    updatedAt: r.at,
    stages: [],
  }));
  return [...records, ...refusals]
    .sort((x, y) => (x.createdAt < y.createdAt ? 1 : x.createdAt > y.createdAt ? -1 : 0))
    .slice(0, 500);
}
