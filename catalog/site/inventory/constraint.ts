import { VmicError } from '../../../errors/index.ts';
import { parseDebianVersion } from './dpkg-version.ts';
import { parseEvr } from './rpm-version.ts';
import { compareVersions, type VersionScheme } from './version-order.ts';

/**
 * A version constraint of `inventory search` and of a `deny-package` rule:
 *   3.0.11                 exact (for deb and rpm, also any revision/release of it)
 *   3.0.x  3.0.*           every version whose leading parts are 3.0
 *   <3.0.13  >=3.0.0,<3.0.13   comparisons (<, <=, >, >=, =, !=), all of them must hold
 * Each is judged by the package type's own ordering (version-order.ts).
 */
export type Constraint =
  | { kind: 'exact'; version: string }
  | { kind: 'prefix'; prefix: string }
  | { kind: 'range'; parts: { op: Op; version: string }[] };

type Op = '<' | '<=' | '>' | '>=' | '=' | '!=';

/** Longest constraint text (threat: a rule or query made to be expensive to match). */
const MAX_TEXT = 200;
const VERSION = /^[A-Za-z0-9.+~:^_-]{1,128}$/;

export function parseConstraint(text: string): Constraint {
  const t = text.trim();
  if (t.length === 0 || t.length > MAX_TEXT)
    throw new VmicError('BAD_REQUEST', `a version constraint is 1-${MAX_TEXT} characters`);
  if (/[<>=!,]/.test(t)) {
    const parts = t.split(',').map((p) => {
      const m = /^\s*(<=|>=|!=|<|>|=)\s*(\S+)\s*$/.exec(p);
      if (!m || !VERSION.test(m[2]!))
        throw new VmicError(
          'BAD_REQUEST',
          `${JSON.stringify(p.trim())}: expected <, <=, >, >=, = or != and a version`,
        );
      return { op: m[1] as Op, version: m[2]! };
    });
    return { kind: 'range', parts };
  }
  const wild = /^(.*?)(?:^|\.)[x*]$/i.exec(t);
  if (wild) {
    const prefix = wild[1]!;
    if (prefix !== '' && !VERSION.test(prefix))
      throw new VmicError('BAD_REQUEST', `${JSON.stringify(t)}: not a version wildcard`);
    return { kind: 'prefix', prefix };
  }
  if (!VERSION.test(t)) throw new VmicError('BAD_REQUEST', `${JSON.stringify(t)}: not a version`);
  return { kind: 'exact', version: t };
}

/** The constraint as written back (messages, the stored rule). */
export function constraintText(c: Constraint): string {
  if (c.kind === 'exact') return c.version;
  if (c.kind === 'prefix') return c.prefix === '' ? '*' : `${c.prefix}.x`;
  return c.parts.map((p) => `${p.op}${p.version}`).join(',');
}

export function satisfies(scheme: VersionScheme, version: string, c: Constraint): boolean {
  switch (c.kind) {
    case 'exact':
      return (
        compareVersions(scheme, version, c.version) === 0 ||
        (!c.version.includes('-') && upstreamOf(scheme, version, c.version) === c.version)
      );
    case 'prefix': {
      if (c.prefix === '') return true;
      const v = upstreamOf(scheme, version, c.prefix);
      return (
        v === c.prefix || (v.startsWith(c.prefix) && /^[^A-Za-z0-9]/.test(v.slice(c.prefix.length)))
      );
    }
    case 'range':
      return c.parts.every((p) => holds(p.op, compareVersions(scheme, version, p.version)));
  }
}

function holds(op: Op, cmp: number): boolean {
  switch (op) {
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
    case '=':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
  }
}

/**
 * `version` without what the constraint text does not name: for deb and rpm the revision
 * or release (`3.0.11-1~deb12u2` is 3.0.11), and the epoch unless the constraint has one.
 */
function upstreamOf(scheme: VersionScheme, version: string, written: string): string {
  if (scheme !== 'deb' && scheme !== 'rpm') return version;
  const withEpoch = written.includes(':');
  if (scheme === 'deb') {
    const d = parseDebianVersion(version);
    return withEpoch ? `${d.epoch}:${d.upstream}` : d.upstream;
  }
  const r = parseEvr(version);
  return withEpoch ? `${r.epoch}:${r.version}` : r.version;
}
