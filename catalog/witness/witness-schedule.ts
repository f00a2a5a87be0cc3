import type { Instance } from '../instance.ts';
import { startLeasedSchedule } from '../site/leased-schedule.ts';
import { witnessRun, type WitnessRunOutcome } from './follow.ts';

/**
 * `vmic serve --witness-every 10m`: the same run as `vmic witness run`, once per interval
 * across replicas, so that a witness nobody submits to still reads the logs it follows and
 * notices one that forks. Its writes are compare-and-set on each view (log-views.ts), so a
 * cron job doing the same meanwhile is harmless.
 */
export function startWitnessSchedule(
  inst: Instance,
  everySeconds: number,
  report: (r: WitnessRunOutcome[] | Error) => void,
): { stop(): Promise<void> } {
  return startLeasedSchedule(inst, {
    lease: 'witness-schedule',
    what: 'scheduled witness run',
    everySeconds,
    run: () => witnessRun(inst),
    report,
  });
}
