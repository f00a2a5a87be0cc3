import type { Instance } from '../instance.ts';
import { isVmicError } from '../../errors/index.ts';
import { runImport, type ImportOutcome } from './import-run.ts';
import { acquireLease } from './leases.ts';

/** What the health summary shows of this process's built-in import schedule. */
export interface ImportScheduleState {
  everySeconds: number;
  /** When the next run is due (the instance's clock); a run still going delays it. */
  nextAt: string;
  running: boolean;
}

// Keyed by the instance, not a module-wide variable: a process (the tests) may serve more
// than one instance, and each health summary must name only its own schedule.
const SCHEDULES = new WeakMap<Instance, () => ImportScheduleState>();

/** The schedule this process runs for `inst`, or undefined when it runs none. */
export function importScheduleOf(inst: Instance): ImportScheduleState | undefined {
  return SCHEDULES.get(inst)?.();
}

/**
 * The built-in schedule of `vmic serve --import-every`: the same import run as the cron
 * job, so the run lock keeps the two from overlapping. A run that is still going when the
 * next one is due is not doubled; the next starts after it ends.
 *
 * Several replicas started with the flag run it once per interval between them, not once
 * each: every tick first claims the interval's slot (`claimSlot`), and only the replica
 * that wins it runs the import.
 */
export function startImportSchedule(
  inst: Instance,
  everySeconds: number,
  report: (outcomes: ImportOutcome[] | Error) => void,
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  let nextAt = inst.now();
  const tick = () => {
    nextAt = new Date(inst.now().getTime() + everySeconds * 1000);
    if (running || stopped) return;
    running = claimSlot(inst, everySeconds)
      .then((won) => (won ? runImport(inst, { actor: 'schedule:import' }).then(report) : undefined))
      .catch((e: unknown) => report(e instanceof Error ? e : new Error(String(e))))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, everySeconds * 1000);
  timer.unref();
  setImmediate(tick);
  SCHEDULES.set(inst, () => ({
    everySeconds,
    nextAt: nextAt.toISOString(),
    running: running !== undefined,
  }));
  return {
    async stop() {
      stopped = true;
      SCHEDULES.delete(inst);
      clearInterval(timer);
      await running;
    },
  };
}

/**
 * The interval's slot: a lease named `import-schedule` that lasts nine tenths of the
 * interval and is never released, so whichever replica ticks first after it expires takes
 * the next one (threat: N replicas each importing every interval, or two at once). The
 * tenth is slack for timers and clocks that fire a little early. A replica that crashes
 * after winning loses only that interval: the next is claimed by whoever ticks.
 */
async function claimSlot(inst: Instance, everySeconds: number): Promise<boolean> {
  try {
    await acquireLease(inst.store.db, 'import-schedule', {
      now: inst.now,
      ttlMs: everySeconds * 900,
      what: 'scheduled import',
    });
    return true;
  } catch (e) {
    if (isVmicError(e) && e.code === 'CONFLICT') return false;
    throw e;
  }
}
