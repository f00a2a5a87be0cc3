import {
  approveEndorser,
  approveImage,
  unapproveEndorser,
  unapproveImage,
} from '../../../catalog/site/approvals.ts';
import { flag, parse, str } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

const USAGE =
  'usage: vmic approve IMAGE [--subscription N] | vmic approve --endorser SUBSCRIPTION (and the same for unapprove)';

export async function approveCommand(argv: string[]): Promise<number> {
  return approval(argv, true);
}

export async function unapproveCommand(argv: string[]): Promise<number> {
  return approval(argv, false);
}

async function approval(argv: string[], grant: boolean): Promise<number> {
  const p = parse(argv, { endorser: { type: 'string' }, subscription: { type: 'string' } });
  const endorser = str(p, 'endorser');
  const image = p.positionals[0];
  if ((endorser === undefined) === (image === undefined) || p.positionals.length > 1)
    throw new UsageError(USAGE);
  const actor = cliActor();
  const result = await withInstance(p, async (inst) => {
    if (endorser !== undefined)
      return grant
        ? approveEndorser(inst, { subscription: endorser, actor })
        : { revoked: await unapproveEndorser(inst, { subscription: endorser, actor }) };
    return grant
      ? approveImage(inst, { image: image!, subscription: str(p, 'subscription'), actor })
      : unapproveImage(inst, { image: image!, subscription: str(p, 'subscription'), actor });
  });
  emit(flag(p, 'json'), result, () => {
    if ('revoked' in result) {
      const lines = [
        result.revoked ? `${result.revoked} approval(s) revoked` : 'no image approval was active',
      ];
      // An endorser approval covers these bytes still: say so, rather than let the
      // operator believe the image can no longer be deployed.
      if ('endorserApproved' in result)
        for (const sub of result.endorserApproved)
          lines.push(
            `still approved: subscription ${sub} has an endorser approval covering these bytes (vmic unapprove --endorser ${sub})`,
          );
      return lines;
    }
    return result.kind === 'endorser'
      ? `approved everything endorsed by subscription ${result.subscription}`
      : `approved ${result.subscription}/${result.identifier} (sha256:${result.sha256})`;
  });
  return 0;
}
