import type { Instance } from '../instance.ts';
import { runImport, type ImportOutcome } from './import-run.ts';

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
  const tick = () => {
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
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
