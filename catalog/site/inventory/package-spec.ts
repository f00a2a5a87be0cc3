import { PackageURL } from 'packageurl-js';
import { VmicError } from '../../../errors/index.ts';
import { constraintText, parseConstraint, satisfies, type Constraint } from './constraint.ts';
import { schemeOf } from './version-order.ts';

/**
 * What `inventory search NAME[@VERSION]` and a `deny-package` rule name: a bare package
 * name (`openssl`) or a package URL without version (`pkg:deb/debian/openssl`), then
 * optionally `@` and a version constraint (constraint.ts).
 */
export interface PackageSpec {
  /** Lowercased purl type; undefined for a bare name (any type). */
  type: string | undefined;
  /** Lowercased; undefined: any namespace. */
  namespace: string | undefined;
  /** Lowercased name: what the index is searched by. */
  nameKey: string;
  constraint: Constraint | undefined;
}

/** One package of an inventory, as stored (store.ts). */
export interface InventoryPackage {
  purl: string | null;
  type: string | null;
  namespace: string | null;
  name: string;
  version: string | null;
}

const MAX_SPEC = 512;

export function parsePackageSpec(text: string): PackageSpec {
  const t = text.trim();
  if (t.length === 0 || t.length > MAX_SPEC || /\s/.test(t))
    throw new VmicError('BAD_REQUEST', `a package is 1-${MAX_SPEC} characters without spaces`);
  // The version separator is the `@` after the last `/`: a scope (`@angular/core`) is not one.
  const slash = t.lastIndexOf('/');
  const at = t.indexOf('@', Math.max(slash + 1, 1));
  const base = at < 0 ? t : t.slice(0, at);
  const constraint = at < 0 ? undefined : parseConstraint(t.slice(at + 1));
  if (/^pkg:/i.test(base)) return { ...purlPart(base), constraint };
  const cut = base.lastIndexOf('/');
  const name = base.slice(cut + 1);
  if (name === '') throw new VmicError('BAD_REQUEST', `${JSON.stringify(t)}: no package name`);
  return {
    type: undefined,
    namespace: cut < 0 ? undefined : base.slice(0, cut).toLowerCase(),
    nameKey: name.toLowerCase(),
    constraint,
  };
}

function purlPart(base: string): Omit<PackageSpec, 'constraint'> {
  if (/[?#]/.test(base))
    throw new VmicError(
      'BAD_REQUEST',
      `${base}: qualifiers and subpaths are not matched; leave them out`,
    );
  let p: PackageURL;
  try {
    // An unencoded scope (`pkg:npm/@angular/core`) is what people type: encode it for the parser.
    p = PackageURL.fromString(base.replace(/\/@/g, '/%40'));
  } catch (e) {
    throw new VmicError('BAD_REQUEST', `${base}: not a package URL (${(e as Error).message})`);
  }
  return {
    type: p.type.toLowerCase(),
    namespace: p.namespace ? p.namespace.toLowerCase() : undefined,
    nameKey: p.name.toLowerCase(),
  };
}

/** The spec as written back, normalised (stored rules, messages). */
export function specText(s: PackageSpec): string {
  const head =
    s.type !== undefined
      ? `pkg:${s.type}/${s.namespace !== undefined ? `${s.namespace.replace(/^@/, '%40')}/` : ''}${s.nameKey}`
      : `${s.namespace !== undefined ? `${s.namespace}/` : ''}${s.nameKey}`;
  return s.constraint ? `${head}@${constraintText(s.constraint)}` : head;
}

/**
 * Whether a package of an inventory is named by the spec and its version satisfies the
 * constraint: true, false, or undefined when it cannot be told (the package has no
 * version). A package without a purl type is matched by name and judged by the spec's
 * ordering: an unknown type must not let a denied package through (the gate treats
 * undefined as a match; search does not).
 */
export function matchPackage(s: PackageSpec, p: InventoryPackage): boolean | undefined {
  if (p.name.toLowerCase() !== s.nameKey) return false;
  if (s.type !== undefined && p.type !== null && p.type.toLowerCase() !== s.type) return false;
  if (
    s.namespace !== undefined &&
    p.namespace !== null &&
    p.namespace.toLowerCase() !== s.namespace
  )
    return false;
  if (!s.constraint) return true;
  if (p.version === null || p.version === '') return undefined;
  return satisfies(schemeOf(p.type ?? s.type), p.version, s.constraint);
}

/** `purl@version` (or `name@version` without a purl) for messages and output. */
export function packageLabel(p: InventoryPackage): string {
  if (p.purl !== null) {
    const hasVersion = p.purl.indexOf('@', p.purl.split(/[?#]/)[0]!.lastIndexOf('/') + 1) >= 0;
    return hasVersion || p.version === null ? p.purl : `${p.purl}@${p.version}`;
  }
  return p.version === null ? p.name : `${p.name}@${p.version}`;
}
