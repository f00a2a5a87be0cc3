import type { Instance } from '../instance.ts';
import { decideSiteImage, type ListedDecision } from './gate.ts';
import { listSiteImages, type SiteImageRow } from './site-images.ts';

/**
 * Every site image the deploy gate calls deployable now, with its row and the gate's
 * decision, in list order. What the approval feed and the Glance sync publish comes from
 * here, so that neither can allow what `vmic check` would refuse.
 */
export async function* deployableSiteImages(
  inst: Instance,
  inScope: (subscription: string) => boolean = () => true,
): AsyncGenerator<{
  row: SiteImageRow;
  decision: ListedDecision & { sha256: string; approval: NonNullable<ListedDecision['approval']> };
}> {
  for (const row of await listSiteImages(inst.store.db)) {
    if (!inScope(row.subscription)) continue;
    const d = await decideSiteImage(inst, row);
    if (!d.deployable || !d.sha256 || !d.approval) continue;
    yield { row, decision: { ...d, sha256: d.sha256, approval: d.approval } };
  }
}
