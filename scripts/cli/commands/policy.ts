import { readPolicy, setPolicy } from '../../../catalog/site/policy.ts';
import { POLICY_KEYS, policyKey, policyValueProblem } from '../../../catalog/site/policy-schema.ts';
import { flag, parse } from '../options.ts';
import { emit } from '../output.ts';
import { cliActor, withInstance } from '../instance-scope.ts';
import { UsageError } from '../usage-error.ts';

export async function policyCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const p = parse(rest, {});
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
    const [key, value] = p.positionals as [string, string | undefined];
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
    `usage: vmic policy show | set KEY VALUE | unset KEY  (keys: ${Object.keys(POLICY_KEYS).join(', ')})`,
  );
}
