import type { Instance } from '../instance.ts';
import { runImport, type ImportOutcome } from './import-run.ts';
import { startLeasedSchedule, type ScheduleState } from './leased-schedule.ts';

/** What the health summary shows of this process's built-in import schedule. */
export type ImportScheduleState = ScheduleState;

// Keyed by the instance, not a module-wide variable: a process (the tests) may serve more
// than one instance, and each health summary must name only its own schedule.
const SCHEDULES = new WeakMap<Instance, () => ImportScheduleState>();

/** The schedule this process runs for `inst`, or undefined when it runs none. */
export function importScheduleOf(inst: Instance): ImportScheduleState | undefined {
  return SCHEDULES.get(inst)?.();
}

/**
 * The built-in schedule of `vmic serve --import-every`: the same import run as the cron
 * job, once per interval across replicas (leased-schedule.ts).
 */
export function startImportSchedule(
  inst: Instance,
  everySeconds: number,
  report: (outcomes: ImportOutcome[] | Error) => void,
): { stop(): Promise<void> } {
  const schedule = startLeasedSchedule(inst, {
    lease: 'import-schedule',
    what: 'scheduled import',
    everySeconds,
    run: () => runImport(inst, { actor: 'schedule:import' }),
    report,
  });
  SCHEDULES.set(inst, () => schedule.state());
  return {
    async stop() {
      SCHEDULES.delete(inst);
      await schedule.stop();
    },
  };
}
