import * as pkijs from 'pkijs';
import { certificateSans, subjectDn } from './cert-profile.ts';
import {
  dnWithin,
  dnsMatches,
  emailMatches,
  ipMatches,
  isDnsName,
  isEmailConstraint,
  isIpConstraint,
  subjectNames,
  toGeneralName,
} from './general-names.ts';
import type { GeneralNameValue } from './general-names.ts';
import type { CertNode } from './path-building.ts';
import { failure } from './path-failure.ts';
import type { PathFailure } from './path-failure.ts';

/**
 * RFC 5280 §4.2.1.10 and §6.1.3(b),(c) / §6.1.4(g): a CA's name constraints bind every
 * certificate below it in the path, except self-issued intermediates (a re-keyed CA keeps
 * its name); the leaf is always bound. Constraints of each CA are checked separately,
 * which is the same as intersecting permitted subtrees and uniting excluded ones. The
 * anchor's constraints are honoured too: an operator who trusts a constrained CA expects
 * the constraint to hold.
 *
 * What is matched: directoryName (the subject DN and DN SANs), dNSName, iPAddress and
 * rfc822Name (SANs and legacy emailAddress attributes). vmic identifies endorsers by
 * subject DN, which only directoryName constraints bind; a leaf without SANs under a
 * DNS-only constrained CA passes, as RFC 5280 says (a DNS constraint says nothing about
 * names of other forms), and the subscription's pinned subject (docs/design.md §6 step 6) is
 * what binds the identity. Other name forms (URI, otherName, ...) are not matched: a
 * critical constraint on such a form rejects any certificate below that carries a name
 * of that form, as §4.2.1.10 requires of software that cannot process it.
 */

const ENUMERATED = ['dns', 'email', 'ip', 'dn'] as const;

/** A bound on names × subtrees, against constraint lists built to make checking slow. */
const MAX_COMPARISONS = 1 << 16;

interface Constraints {
  permitted: GeneralNameValue[];
  excluded: GeneralNameValue[];
}

function validSubtree(s: pkijs.GeneralSubtree): GeneralNameValue | undefined {
  // §4.2.1.10: minimum MUST be zero and maximum MUST be absent.
  const min = typeof s.minimum === 'number' ? s.minimum : s.minimum.valueBlock.valueDec;
  if (min !== 0 || s.maximum !== undefined) return undefined;
  const base = toGeneralName(s.base);
  if (base === undefined) return undefined;
  // dNSName constraints are host names without wildcards or a leading dot (§4.2.1.10).
  if (base.form === 'dns' && base.value !== '' && !isDnsName(base.value, false)) return undefined;
  if (base.form === 'email' && !isEmailConstraint(base.value)) return undefined;
  if (base.form === 'ip' && !isIpConstraint(base.bytes)) return undefined;
  return base;
}

function parseConstraints(node: CertNode): Constraints | 'invalid' | undefined {
  const e = node.extensions.find((x) => x.oid === '2.5.29.30');
  if (!e) return undefined;
  try {
    const nc = pkijs.NameConstraints.fromBER(e.value);
    const permitted = (nc.permittedSubtrees ?? []).map(validSubtree);
    const excluded = (nc.excludedSubtrees ?? []).map(validSubtree);
    if ([...permitted, ...excluded].some((b) => b === undefined)) return 'invalid';
    return { permitted: permitted as GeneralNameValue[], excluded: excluded as GeneralNameValue[] };
  } catch {
    return 'invalid';
  }
}

function matches(name: GeneralNameValue, base: GeneralNameValue, mode: 'permitted' | 'excluded') {
  if (name.form === 'dns' && base.form === 'dns') return dnsMatches(name.value, base.value, mode);
  if (name.form === 'email' && base.form === 'email') return emailMatches(name.value, base.value);
  if (name.form === 'ip' && base.form === 'ip') return ipMatches(name.bytes, base.bytes);
  if (name.form === 'dn' && base.form === 'dn') return dnWithin(name.value, base.value);
  return false;
}

function sameForm(a: GeneralNameValue, b: GeneralNameValue): boolean {
  if (a.form === 'other' || b.form === 'other') {
    return a.form === 'other' && b.form === 'other' && a.tag === b.tag;
  }
  return a.form === b.form;
}

function describe(name: GeneralNameValue): string {
  if (name.form === 'dns' || name.form === 'email') return name.value;
  if (name.form === 'ip') return Buffer.from(name.bytes).toString('hex');
  return name.form === 'dn' ? 'subject/directoryName' : `name of form [${name.tag}]`;
}

function checkName(name: GeneralNameValue, c: Constraints, ca: CertNode, node: CertNode) {
  const fail = (rule: string, why: string): PathFailure[] => [
    failure(
      'CHAIN_UNTRUSTED',
      `nameConstraints.${rule}`,
      `${describe(name)} ${why} ${ca.info.subject}`,
      node,
    ),
  ];
  const permitted = c.permitted.filter((b) => sameForm(name, b));
  const excluded = c.excluded.filter((b) => sameForm(name, b));
  if (name.form === 'other' || !ENUMERATED.includes(name.form)) {
    return permitted.length + excluded.length > 0 ? fail('unsupported', 'is constrained by') : [];
  }
  if (permitted.length > 0 && !permitted.some((b) => matches(name, b, 'permitted'))) {
    return fail('permitted', 'is outside the permitted subtrees of');
  }
  if (excluded.some((b) => matches(name, b, 'excluded'))) {
    return fail('excluded', 'is in an excluded subtree of');
  }
  return [];
}

export function checkNameConstraints(path: CertNode[]): PathFailure[] {
  const out: PathFailure[] = [];
  for (let i = 1; i < path.length; i++) {
    const ca = path[i] as CertNode;
    const c = parseConstraints(ca);
    if (c === undefined) continue;
    if (c === 'invalid') {
      out.push(
        failure('CHAIN_UNTRUSTED', 'nameConstraints.invalid', 'nameConstraints do not conform', ca),
      );
      continue;
    }
    for (let j = 0; j < i; j++) {
      const node = path[j] as CertNode;
      if (j > 0 && node.selfIssued) continue;
      const sans = certificateSans(node);
      if (sans === undefined) continue; // reported by the profile rule
      const names = subjectNames(subjectDn(node), sans);
      if (names.length * (c.permitted.length + c.excluded.length) > MAX_COMPARISONS) {
        out.push(
          failure('CHAIN_UNTRUSTED', 'nameConstraints.tooComplex', 'too many names to check', node),
        );
        continue;
      }
      for (const name of names) out.push(...checkName(name, c, ca, node));
    }
  }
  return out;
}
