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
      Object.entries(POLICY_KEYS).map(([k, spec]) => `${k} = ${shown(policy[spec.field])}`),
    );
    return 0;
  }
  // deny-package is a list: `set` adds a rule, `unset deny-package RULE` removes one.
  if (sub === 'unset' && p.positionals.length === 2 && p.positionals[0] === 'deny-package') {
    const rule = p.positionals[1]!;
    const problem = policyValueProblem(policyKey('deny-package')!, rule);
    if (problem !== undefined) throw new UsageError(`deny-package: ${problem}`);
    const policy = await withInstance(p, (inst) =>
      setPolicy(inst, 'deny-package', rule, cliActor(), { removeRule: true }),
    );
    emit(flag(p, 'json'), policy, () => `deny-package = ${shown(policy.denyPackages)}`);
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
    emit(flag(p, 'json'), policy, () => `${key} = ${shown(policy[spec.field])}`);
    return 0;
  }
  throw new UsageError(
    `usage: vmic policy show | set KEY VALUE | set endorsement-quorum K --subscriptions a,b,c | set deny-package RULE (adds a rule) | unset KEY | unset deny-package RULE  (keys: ${Object.keys(POLICY_KEYS).join(', ')})`,
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

/** A value as `show` prints it: deny-package's rules (one a line when stored) on one line. */
function shown(value: string | number | undefined): string {
  if (value === undefined) return '(not set)';
  return String(value).split('\n').join(', ');
}
