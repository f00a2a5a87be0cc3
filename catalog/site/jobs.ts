import crypto from 'node:crypto';
import { isVmicError } from '../../errors/index.ts';
import type { Instance } from '../instance.ts';

/**
 * Background runs started from the web admin ("Import now", "Fetch now"): the request that
 * starts one answers at once, and the page follows the run's progress. One run per key at a
 * time: a second start while one runs joins the running one instead of failing on the run
 * lock. Held in memory only; a restart forgets them (the audit log keeps what they did).
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

export function getJob(inst: Instance, id: string): Job | undefined {
  return registryOf(inst).get(id);
}

/**
 * Starts `run` in the background, or returns the job already running under `key` (and
 * `joined: true`). `run` reports progress through its argument. A failure is kept on the
 * job, never thrown: nothing waits on the promise (threat: an unhandled rejection ending
 * the server process).
 */
export function startJob<R>(
  inst: Instance,
  key: string,
  label: string,
  run: (report: (p: JobProgress) => void) => Promise<R>,
): { job: Job<R>; joined: boolean } {
  const existing = runningJob(inst, key);
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
  void (async () => {
    try {
      job.result = await run((p) => (job.progress = p));
      job.state = 'done';
    } catch (e) {
      job.state = 'failed';
      job.error = isVmicError(e)
        ? { code: e.code, message: e.message }
        : { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) };
    } finally {
      job.finishedAt = new Date();
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
