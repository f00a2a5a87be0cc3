import crypto from 'node:crypto';
import { isVmicError } from '../../errors/index.ts';
import type { Instance } from '../instance.ts';
import { readJobRow, runningJobRow, trackJob } from './job-rows.ts';

/**
 * Background runs started from the web admin ("Import now", "Fetch now"): the request that
 * starts one answers at once, and the page follows the run's progress. One run per key at a
 * time: a second start while one runs joins the running one instead of failing on the run
 * lock. Held in memory by the process that runs them, and written to the database as they
 * go (job-rows.ts), so that the page works through any replica and after a restart.
 */
export type JobState = 'running' | 'done' | 'failed';

export interface JobProgress {
  done: number;
  total: number;
  /** What `done` and `total` count. */
  unit: 'bytes' | 'items';
  /** A line about the step under way, e.g. "2 of 3 images". */
  note?: string | undefined;
}

export interface Job<R = unknown> {
  readonly id: string;
  /** Runs sharing a key never overlap (`import`, `fetch`). */
  readonly key: string;
  readonly label: string;
  readonly startedAt: Date;
  finishedAt: Date | undefined;
  state: JobState;
  progress: JobProgress | undefined;
  result: R | undefined;
  error: { code: string; message: string } | undefined;
  /** Settles (never rejects) when the run ends. */
  readonly settled: Promise<void>;
}

/** Finished runs kept for their pages; older ones are forgotten (bounded memory). */
const KEEP_FINISHED = 50;
const registries = new WeakMap<Instance, Map<string, Job>>();

function registryOf(inst: Instance): Map<string, Job> {
  let r = registries.get(inst);
  if (!r) registries.set(inst, (r = new Map<string, Job>()));
  return r;
}

/** The running job of this key, if any. */
export function runningJob(inst: Instance, key: string): Job | undefined {
  for (const j of registryOf(inst).values()) if (j.key === key && j.state === 'running') return j;
  return undefined;
}

/** This process's job, else the one the database records (another replica's, or older). */
export async function getJob(inst: Instance, id: string): Promise<Job | undefined> {
  return registryOf(inst).get(id) ?? (await readJobRow(inst.store.db, id));
}

/**
 * Starts `run` in the background, or returns the job already running under `key` (and
 * `joined: true`). `run` reports progress through its argument. A failure is kept on the
 * job, never thrown: nothing waits on the promise (threat: an unhandled rejection ending
 * the server process).
 */
export async function startJob<R>(
  inst: Instance,
  key: string,
  label: string,
  run: (report: (p: JobProgress) => void) => Promise<R>,
): Promise<{ job: Job<R>; joined: boolean }> {
  // Another replica's run of the same key is joined the same way as one of this process.
  const elsewhere = runningJob(inst, key) ? undefined : await runningJobRow(inst.store.db, key);
  const existing = runningJob(inst, key) ?? elsewhere;
  if (existing) return { job: existing as Job<R>, joined: true };
  const registry = registryOf(inst);
  let settle!: () => void;
  const job: Job<R> = {
    id: crypto.randomBytes(12).toString('hex'),
    key,
    label,
    startedAt: new Date(),
    finishedAt: undefined,
    state: 'running',
    progress: undefined,
    result: undefined,
    error: undefined,
    settled: new Promise<void>((resolve) => (settle = resolve)),
  };
  registry.set(job.id, job);
  forgetOld(registry);
  const row = await trackJob(inst.store.db, job).catch((e: unknown) => {
    registry.delete(job.id);
    throw e;
  });
  void (async () => {
    try {
      job.result = await run((p) => {
        job.progress = p;
        row.progressed();
      });
      job.state = 'done';
    } catch (e) {
      job.state = 'failed';
      job.error = isVmicError(e)
        ? { code: e.code, message: e.message }
        : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
    } finally {
      job.finishedAt = new Date();
      // Recorded before anyone waiting is told, so the result page sees it on any replica.
      await row.finished().catch(() => undefined);
      settle();
    }
  })();
  return { job, joined: false };
}

function forgetOld(registry: Map<string, Job>): void {
  const finished = [...registry.values()].filter((j) => j.state !== 'running');
  for (const j of finished.slice(0, Math.max(0, finished.length - KEEP_FINISHED)))
    registry.delete(j.id);
}

/** A job id as `startJob` makes them: 24 hex digits. */
export const JOB_ID = /^[0-9a-f]{24}$/;
