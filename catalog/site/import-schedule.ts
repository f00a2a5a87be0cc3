import type { Instance } from '../instance.ts';
import { runImport, type ImportOutcome } from './import-run.ts';

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
    running = runImport(inst, { actor: 'schedule:import' })
      .then(report, (e: unknown) => report(e instanceof Error ? e : new Error(String(e))))
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
