import { VmicError } from '../../../errors/index.ts';
import { readApprovalFeed, refreshApprovalFeed } from '../../../catalog/site/approval-feed.ts';
import type { FeedImage } from '../../../catalog/site/approval-feed-content.ts';
import { flag, parse } from '../options.ts';
import { emit } from '../output.ts';
import { withInstance } from '../instance-scope.ts';

/**
 * `vmic site approved [--json]`: the approval feed for compute nodes as served at
 * /site/approved.json. It refreshes first, so that it shows what a node gets now, and a
 * site run by cron alone (no `vmic serve` timer) gets its feed re-signed by it.
 */
export async function siteApprovedCommand(argv: string[]): Promise<number> {
  const p = parse(argv, {}, false);
  const json = await withInstance(p, async (inst) => {
    await refreshApprovalFeed(inst);
    const feed = await readApprovalFeed(inst.store.db);
    if (!feed)
      throw new VmicError(
        'CONFIG',
        'this site has no identity yet: vmic site identity set --cert F --key F [--chain F]',
      );
    return JSON.parse(feed.json) as {
      sequence: number;
      issuedAt: string;
      expiresAt: string;
      images: FeedImage[];
    };
  });
  emit(flag(p, 'json'), json, () => [
    `approval feed ${json.sequence}: issued ${json.issuedAt}, expires ${json.expiresAt}, ${json.images.length} image(s)`,
    ...json.images.map((i) => `  ${i.sha256} ${i.size} ${i.reason} ${i.endorser} ${i.identifier}`),
  ]);
  return 0;
}
