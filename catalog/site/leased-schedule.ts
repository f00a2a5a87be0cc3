import type { Instance } from '../instance.ts';
import { isVmicError } from '../../errors/index.ts';
import { acquireLease } from './leases.ts';

/** What a health summary shows of a built-in schedule this process runs. */
export interface ScheduleState {
  everySeconds: number;
  /** When the next run is due (the instance's clock); a run still going delays it. */
  nextAt: string;
  running: boolean;
}

/**
 * A job that `vmic serve` runs every `everySeconds` (the import, the Glance sync): the same
 * run as its cron command, so that command's run lock keeps the two from overlapping. A run
 * still going when the next is due is not doubled; the next starts after it ends.
 *
 * Several replicas started with the same flag run it once per interval between them, not
 * once each: every tick first claims the interval's slot (`claimSlot`), and only the
 * replica that wins it runs the job.
 */
export function startLeasedSchedule<T>(
  inst: Instance,
  job: {
    /** The slot's lease name (`import-schedule`). */
    lease: string;
    /** For messages (`scheduled import`). */
    what: string;
    everySeconds: number;
    run: () => Promise<T>;
    report: (result: T | Error) => void;
  },
): { stop(): Promise<void>; state(): ScheduleState } {
  let running: Promise<void> | undefined;
  let stopped = false;
  let nextAt = inst.now();
  const tick = () => {
    nextAt = new Date(inst.now().getTime() + job.everySeconds * 1000);
    if (running || stopped) return;
    running = claimSlot(inst, job)
      .then((won) => (won ? job.run().then(job.report) : undefined))
      .catch((e: unknown) => job.report(e instanceof Error ? e : new Error(String(e))))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, job.everySeconds * 1000);
  timer.unref();
  setImmediate(tick);
  return {
    state: () => ({
      everySeconds: job.everySeconds,
      nextAt: nextAt.toISOString(),
      running: running !== undefined,
    }),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * The interval's slot: a lease that lasts nine tenths of the interval and is never
 * released, so whichever replica ticks first after it expires takes the next one (threat:
 * N replicas each running the job every interval, or two at once). The tenth is slack for
 * timers and clocks that fire a little early. A replica that crashes after winning loses
 * only that interval: the next is claimed by whoever ticks.
 */
async function claimSlot(
  inst: Instance,
  job: { lease: string; what: string; everySeconds: number },
): Promise<boolean> {
  try {
    await acquireLease(inst.store.db, job.lease, {
      now: inst.now,
      ttlMs: job.everySeconds * 900,
      what: job.what,
    });
    return true;
  } catch (e) {
    if (isVmicError(e) && e.code === 'CONFLICT') return false;
    throw e;
  }
}
