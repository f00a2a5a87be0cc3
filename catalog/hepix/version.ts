import { VmicError } from '../../errors/index.ts';

const DOTTED = /^\d{1,15}(\.\d{1,15}){0,7}$/;

/**
 * `hv:version` as a dotted decimal (`3`, `1.2.10`, `20261101`). Only such versions can be
 * ordered for the rollback check; anything else is refused rather than compared as text
 * (threat: "9" > "10" letting an old list pass as newer).
 */
export function checkListVersion(v: string, key = 'hv:version'): string {
  if (!DOTTED.test(v))
    throw new VmicError('MALFORMED', `${key} must be a dotted decimal version, got ${v}`, {
      rule: key,
    });
  return v;
}

/** Negative, zero or positive as a is lower, equal or higher than b (`1.0` equals `1`). */
export function compareListVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
