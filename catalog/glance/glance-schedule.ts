import type { Instance } from '../instance.ts';
import { startLeasedSchedule } from '../site/leased-schedule.ts';
import type { GlanceConnection } from './glance-connection.ts';
import { runGlanceSync, type GlanceSyncReport } from './sync-run.ts';

/**
 * `vmic serve --glance-sync-every 15m`: the same run as `vmic glance sync`, once per
 * interval across replicas; its run lock keeps it apart from a cron job doing the same.
 */
export function startGlanceSchedule(
  inst: Instance,
  everySeconds: number,
  connection: GlanceConnection,
  report: (r: GlanceSyncReport | Error) => void,
): { stop(): Promise<void> } {
  return startLeasedSchedule(inst, {
    lease: 'glance-schedule',
    what: 'scheduled Glance sync',
    everySeconds,
    run: () => runGlanceSync(inst, { connection, actor: 'schedule:glance' }),
    report,
  });
}
