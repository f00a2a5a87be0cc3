import { readPolicy, setPolicy } from '../../../catalog/site/policy.ts';
import { POLICY_KEYS, policyKey, policyValueProblem } from '../../../catalog/site/policy-schema.ts';
import { endorsementQuorumText } from '../../../catalog/site/quorum-policy.ts';
import { flag, parse, str } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

export async function policyCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const p = parse(rest, { subscriptions: { type: 'string' } });
  if (sub === 'show' && p.positionals.length === 0) {
    const policy = await withInstance(p, (inst) => readPolicy(inst.store.db));
    emit(flag(p, 'json'), policy, () =>
      Object.entries(POLICY_KEYS).map(
        ([k, spec]) => `${k} = ${String(policy[spec.field] ?? '(not set)')}`,
      ),
    );
    return 0;
  }
  if (
    (sub === 'set' && p.positionals.length === 2) ||
    (sub === 'unset' && p.positionals.length === 1)
  ) {
    const [key, given] = p.positionals as [string, string | undefined];
    const value = quorumValue(key, given, str(p, 'subscriptions'));
    const spec = policyKey(key);
    if (!spec)
      throw new UsageError(
        `unknown policy key ${key}; known: ${Object.keys(POLICY_KEYS).join(', ')}`,
      );
    // The key's schema, the one the API checks with, refuses a bad value before the
    // instance is opened: a mistyped value is the caller's mistake, not a refusal.
    const problem = value === undefined ? undefined : policyValueProblem(spec, value);
    if (problem !== undefined)
      throw new UsageError(`${key}: ${problem} (got ${JSON.stringify(value)})`);
    const policy = await withInstance(p, (inst) =>
      setPolicy(inst, key, sub === 'set' ? value : undefined, cliActor()),
    );
    emit(flag(p, 'json'), policy, () => `${key} = ${String(policy[spec.field] ?? '(not set)')}`);
    return 0;
  }
  throw new UsageError(
    `usage: vmic policy show | set KEY VALUE | set endorsement-quorum K --subscriptions a,b,c | unset KEY  (keys: ${Object.keys(POLICY_KEYS).join(', ')})`,
  );
}

/**
 * `set endorsement-quorum K --subscriptions a,b,c` stores `K of a,b,c`; `--subscriptions`
 * belongs to that key alone, and that key needs it (or the stored form as its value).
 */
function quorumValue(
  key: string,
  value: string | undefined,
  subscriptions: string | undefined,
): string | undefined {
  if (key !== 'endorsement-quorum' || value === undefined) {
    if (subscriptions !== undefined)
      throw new UsageError('--subscriptions goes with policy set endorsement-quorum K only');
    return value;
  }
  if (subscriptions !== undefined) return endorsementQuorumText(value, subscriptions);
  if (/ of /.test(value)) return value;
  throw new UsageError(
    'usage: vmic policy set endorsement-quorum K --subscriptions a,b,c (K of the named subscriptions must endorse the same SHA-256)',
  );
}
