import { VmicError } from '../../../errors/index.ts';
import { parsePackageSpec, specText, type PackageSpec } from './package-spec.ts';

/**
 * The site policy `deny-package`: a list of rules, stored one a line in the key's value,
 * each a package URL (or a bare name) with an optional version constraint
 * (`pkg:deb/debian/openssl@<3.0.13`). `vmic policy set deny-package RULE` adds one rule,
 * `policy unset deny-package RULE` removes it, `policy unset deny-package` clears them all.
 */
export interface DenyRule {
  /** As stored (normalised by `specText`): what messages name. */
  text: string;
  spec: PackageSpec;
}

/** Bound on the list (threat: a policy that makes every gate decision slow). */
export const MAX_DENY_RULES = 200;

export function parseDenyRules(stored: string | null | undefined): DenyRule[] {
  return lines(stored).map((text) => ({ text, spec: parsePackageSpec(text) }));
}

/** What is wrong with a stored or given value, or undefined (the policy schema's check). */
export function denyRulesProblem(text: string): string | undefined {
  const all = lines(text);
  if (all.length === 0) return 'expected a package rule, e.g. pkg:deb/debian/openssl@<3.0.13';
  if (all.length > MAX_DENY_RULES) return `at most ${MAX_DENY_RULES} rules`;
  for (const l of all) {
    try {
      parsePackageSpec(l);
    } catch (e) {
      return `${JSON.stringify(l)}: ${(e as Error).message}`;
    }
  }
  return undefined;
}

/** The stored list with the rule(s) of `given` added (normalised, each once). */
export function addDenyRules(stored: string | null | undefined, given: string): string {
  const out = lines(stored);
  for (const l of lines(given)) {
    const text = specText(parsePackageSpec(l));
    if (!out.includes(text)) out.push(text);
  }
  if (out.length > MAX_DENY_RULES)
    throw new VmicError('BAD_REQUEST', `deny-package: at most ${MAX_DENY_RULES} rules`);
  return out.join('\n');
}

/** The stored list without `rule`; undefined when none is left. NOT_FOUND if it is not there. */
export function removeDenyRule(
  stored: string | null | undefined,
  rule: string,
): string | undefined {
  const text = specText(parsePackageSpec(rule));
  const all = lines(stored);
  if (!all.includes(text))
    throw new VmicError(
      'NOT_FOUND',
      `no deny-package rule ${text}; the rules are: ${all.join(', ') || '(none)'}`,
    );
  const left = all.filter((l) => l !== text);
  return left.length ? left.join('\n') : undefined;
}

function lines(text: string | null | undefined): string[] {
  return (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}
