import {
  approveEndorser,
  approveImage,
  unapproveEndorser,
  unapproveImage,
  type ApprovalGrant,
} from '../../../catalog/site/approvals.ts';
import { flag, parse, str } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

const USAGE =
  'usage: vmic approve IMAGE [--subscription N] | vmic approve --endorser SUBSCRIPTION (and the same for unapprove, which takes --all)';

export async function approveCommand(argv: string[]): Promise<number> {
  return approval(argv, true);
}

export async function unapproveCommand(argv: string[]): Promise<number> {
  return approval(argv, false);
}

async function approval(argv: string[], grant: boolean): Promise<number> {
  const p = parse(argv, {
    endorser: { type: 'string' },
    subscription: { type: 'string' },
    all: { type: 'boolean' },
  });
  const endorser = str(p, 'endorser');
  const image = p.positionals[0];
  // --all: under an approval-quorum, revoke everyone's approval, not only the caller's.
  const all = flag(p, 'all');
  if (
    (endorser === undefined) === (image === undefined) ||
    p.positionals.length > 1 ||
    (grant && all)
  )
    throw new UsageError(USAGE);
  const actor = cliActor();
  const result = await withInstance(p, async (inst) => {
    if (endorser !== undefined)
      return grant
        ? approveEndorser(inst, { subscription: endorser, actor })
        : { revoked: await unapproveEndorser(inst, { subscription: endorser, actor, all }) };
    const subscription = str(p, 'subscription');
    return grant
      ? approveImage(inst, { image: image!, subscription, actor })
      : unapproveImage(inst, { image: image!, subscription, actor, all });
  });
  emit(flag(p, 'json'), result, () => {
    if ('revoked' in result) {
      const lines = [
        result.revoked
          ? `${result.revoked} approval(s) revoked`
          : `no ${endorser === undefined ? 'image' : 'endorser'} approval${'quorum' in result && !all ? ' of yours' : ''} was active`,
      ];
      if ('approvers' in result && result.approvers?.length)
        lines.push(
          `image approvals still held by ${result.approvers.join(', ')} (approval-quorum ${result.quorum}; vmic unapprove --all revokes every approval)`,
        );
      // An endorser approval covers these bytes still: say so, rather than let the
      // operator believe the image can no longer be deployed.
      if ('endorserApproved' in result)
        for (const sub of result.endorserApproved)
          lines.push(
            `still approved: subscription ${sub} has an endorser approval covering these bytes (vmic unapprove --endorser ${sub})`,
          );
      return lines;
    }
    const what =
      result.kind === 'endorser'
        ? `everything endorsed by subscription ${result.subscription}`
        : `${result.subscription}/${result.identifier} (sha256:${result.sha256})`;
    if (result.quorum === 1) return `approved ${what}`;
    return [quorumLine(result), `  ${what}; approved by ${result.approvers.join(', ')}`];
  });
  return 0;
}

/** "approval 1 of 2 recorded; 1 more approver needed" (approval-quorum above 1). */
function quorumLine(g: ApprovalGrant): string {
  const head = g.alreadyApproved
    ? `you had already approved (approval ${g.approvers.length} of ${g.quorum}; nothing new recorded)`
    : `approval ${g.approvers.length} of ${g.quorum} recorded`;
  if (g.stillNeeded === 0) return `${head}; approved`;
  return `${head}; ${g.stillNeeded} more approver${g.stillNeeded === 1 ? '' : 's'} needed`;
}
