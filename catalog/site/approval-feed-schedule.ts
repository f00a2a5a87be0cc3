import type { Instance } from '../instance.ts';
import { refreshApprovalFeedAfterChange } from './approval-feed.ts';

/** How often `vmic serve` checks the approval feed; well under the shortest lifetime (120 s). */
export const APPROVAL_FEED_CHECK_SECONDS = 30;

/**
 * The approval feed's timer in `vmic serve`. Changes made through vmic refresh the feed
 * at once; this timer catches what changes with time alone (a catalog or image expiring,
 * a CRL going stale) and re-signs before the feed expires (threat: compute nodes refusing
 * every boot on an expired feed, or a feed still approving an image the gate now
 * refuses). Every replica may run it: two replicas re-signing at once only use two
 * sequences, the write lock keeps them ordered.
 */
export function startApprovalFeedTimer(
  inst: Instance,
  everySeconds = APPROVAL_FEED_CHECK_SECONDS,
): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = refreshApprovalFeedAfterChange(inst).finally(() => {
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
