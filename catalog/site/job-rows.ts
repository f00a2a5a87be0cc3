import type { Queryable } from '../store/database.ts';
import type { WebJobTable } from '../store/schema-replicas.ts';
import type { Job, JobProgress, JobState } from './jobs.ts';

/** How often a running job's row is renewed, and after how long without it it is dead. */
const HEARTBEAT_MS = 30_000;
const STALE_MS = 3 * HEARTBEAT_MS;
/** Progress is written at most this often (a fetch reports every chunk). */
const PROGRESS_EVERY_MS = 1000;
/** Finished rows are kept this long for their pages. */
const KEEP_MS = 24 * 3600 * 1000;

/**
 * Writes a job that this process runs into the database as it goes, so that its page,
 * polled through another replica behind the balancer, finds it (threat: "no such run"
 * half of the time, or a second run started beside it because the other replica did not
 * see it). Returns hooks for its progress and its end; the row's heartbeat is renewed
 * while it runs.
 */
export async function trackJob(
  db: Queryable,
  job: Job,
): Promise<{ progressed(): void; finished(): Promise<void> }> {
  const now = new Date();
  await db
    .deleteFrom('web_jobs')
    .where('state', '!=', 'running')
    .where('finished_at', '<', new Date(now.getTime() - KEEP_MS).toISOString())
    .execute();
  await db
    .insertInto('web_jobs')
    .values({
      id: job.id,
      job_key: job.key,
      label: job.label,
      state: 'running',
      started_at: job.startedAt.toISOString(),
      finished_at: null,
      progress: null,
      result: null,
      error: null,
      heartbeat_at: now.toISOString(),
    })
    .execute();
  let written = 0;
  // Fire and forget: a lost progress write only makes the page lag; never a state change,
  // so a late one cannot turn a finished row back to running.
  const beat = () => {
    written = Date.now();
    void db
      .updateTable('web_jobs')
      .set({
        progress: job.progress ? JSON.stringify(job.progress) : null,
        heartbeat_at: new Date().toISOString(),
      })
      .where('id', '=', job.id)
      .where('state', '=', 'running')
      .execute()
      .catch(() => undefined);
  };
  const timer = setInterval(beat, HEARTBEAT_MS);
  timer.unref();
  return {
    progressed() {
      if (Date.now() - written >= PROGRESS_EVERY_MS) beat();
    },
    async finished() {
      clearInterval(timer);
      await db
        .updateTable('web_jobs')
        .set({
          state: job.state,
          finished_at: (job.finishedAt ?? new Date()).toISOString(),
          progress: job.progress ? JSON.stringify(job.progress) : null,
          result: job.result === undefined ? null : JSON.stringify(job.result),
          error: job.error ? JSON.stringify(job.error) : null,
          heartbeat_at: new Date().toISOString(),
        })
        .where('id', '=', job.id)
        .execute();
    },
  };
}

/** A job as another replica (or this one, before a restart) recorded it. */
export async function readJobRow(db: Queryable, id: string): Promise<Job | undefined> {
  const row = await db.selectFrom('web_jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? jobOfRow(row) : undefined;
}

/** The running job of `key` on any replica, if its heartbeat is fresh. */
export async function runningJobRow(db: Queryable, key: string): Promise<Job | undefined> {
  const row = await db
    .selectFrom('web_jobs')
    .selectAll()
    .where('job_key', '=', key)
    .where('state', '=', 'running')
    .where('heartbeat_at', '>', new Date(Date.now() - STALE_MS).toISOString())
    .orderBy('started_at', 'desc')
    .executeTakeFirst();
  return row ? jobOfRow(row) : undefined;
}

function jobOfRow(row: WebJobTable): Job {
  const dead = row.state === 'running' && Date.parse(row.heartbeat_at) < Date.now() - STALE_MS;
  const state = (dead ? 'failed' : row.state) as JobState;
  const finished = state !== 'running';
  return {
    id: row.id,
    key: row.job_key,
    label: row.label,
    startedAt: new Date(row.started_at),
    finishedAt: row.finished_at ? new Date(row.finished_at) : undefined,
    state,
    progress: row.progress ? (JSON.parse(row.progress) as JobProgress) : undefined,
    result: row.result ? (JSON.parse(row.result) as unknown) : undefined,
    error: dead
      ? { code: 'INTERRUPTED', message: 'the server that ran it stopped before it ended' }
      : row.error
        ? (JSON.parse(row.error) as { code: string; message: string })
        : undefined,
    // Another process's run: nothing here learns when it ends; its page polls instead.
    settled: finished ? Promise.resolve() : new Promise<void>(() => {}),
  };
}
