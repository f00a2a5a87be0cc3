import { decideDeployment, type DeployDecision } from '../../../catalog/site/gate.ts';
import { flag, parse, str } from '../options.ts';
import { emit, EXIT } from '../output.ts';
import { withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

export function describeDecision(d: DeployDecision): string[] {
  const head = d.identifier ? `${d.subscription}/${d.identifier} sha256:${d.sha256}` : d.image;
  const lines = [`${head}: ${d.deployable ? 'DEPLOYABLE' : 'NOT DEPLOYABLE'}`];
  for (const r of d.reasons) lines.push(`  ${r.code}: ${r.message}`);
  if (d.bytes)
    lines.push(
      `  bytes verified ${d.bytes.verifiedAt} via ${d.bytes.source}${d.bytes.detail ? ` (${d.bytes.detail})` : ''}`,
    );
  if (d.approval)
    lines.push(
      `  approved by ${d.approval.approvers?.join(', ') ?? d.approval.approvedBy} at ${d.approval.approvedAt} (${d.approval.kind})`,
    );
  const aq = d.approvalQuorum;
  if (aq && !d.approval) {
    const more = aq.needed - aq.approvers.length;
    const by = aq.approvers.length ? `approved by ${aq.approvers.join(', ')}` : 'no approver yet';
    lines.push(`  approval quorum ${aq.needed}: ${by}; ${more} more approver(s) needed`);
  }
  const q = d.endorsementQuorum;
  if (q) {
    const head = `  endorsement quorum ${q.needed} of ${q.subscriptions.length} (${q.subscriptions.join(', ')}): ${q.met ? 'met' : 'NOT MET'}`;
    lines.push(`${head}; endorsed by ${q.endorsing.join(', ') || 'none'}`);
    for (const n of q.notEndorsing) lines.push(`    ${n.subscription} does not endorse: ${n.why}`);
  }
  if (d.conformsTo) lines.push(`  conforms to (image claims): ${d.conformsTo.join(', ')}`);
  // The chain of trust: who endorses it here, and whose catalog it was adopted from.
  const from = d.derivedFrom;
  if (from)
    lines.push(
      `  chain: endorsed by ${d.catalog?.signer ?? d.subscription}, derived from ${from.x509Subject}'s catalog ${from.sequence} (${from.catalog}, catalog.p7m sha256:${from.catalogSha256})`,
      `    upstream image ${from.image}`,
    );
  if (d.policies)
    lines.push(
      `  required policies: ${d.policies.required.join(', ')}${d.policies.missing.length ? `; missing ${d.policies.missing.join(', ')}` : '; all claimed'}`,
      ...(d.policies.catalogClaims.length
        ? [`  catalog claims: ${d.policies.catalogClaims.join(', ')}`]
        : []),
    );
  return lines;
}

/** The deploy gate for scripts: exit 0 deployable, 3 not (docs/design.md §5, §7). */
export async function checkCommand(argv: string[]): Promise<number> {
  const p = parse(argv, { subscription: { type: 'string' } });
  const image = p.positionals[0];
  if (!image || p.positionals.length > 1)
    throw new UsageError('usage: vmic check IMAGE [--subscription N] [--json]');
  const d = await withInstance(p, (inst) =>
    decideDeployment(inst, image, { subscription: str(p, 'subscription') }),
  );
  emit(flag(p, 'json'), d, () => describeDecision(d));
  return d.deployable ? EXIT.ok : EXIT.notDeployable;
}
