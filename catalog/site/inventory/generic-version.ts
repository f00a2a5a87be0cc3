/**
 * The ordering for package types without their own (and for packages named without a
 * purl): the version split into runs of digits and of letters at any other character,
 * digit runs compared as numbers, letter runs as text, a digit run after a letter run,
 * and a version that is a prefix of another older (`1.2` < `1.2.1`).
 */
export function compareGenericVersions(a: string, b: string): number {
  const x = segments(a);
  const y = segments(b);
  for (let k = 0; k < Math.max(x.length, y.length); k++) {
    const s = x[k];
    const t = y[k];
    if (s === undefined) return -1;
    if (t === undefined) return 1;
    const sn = /^[0-9]/.test(s);
    const tn = /^[0-9]/.test(t);
    if (sn !== tn) return sn ? 1 : -1;
    const c = sn ? compareDigits(s, t) : s < t ? -1 : s > t ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

function segments(v: string): string[] {
  return (
    v
      .trim()
      .toLowerCase()
      .match(/[0-9]+|[a-z]+/g) ?? []
  );
}

/** Digit runs of any length (no Number overflow): without leading zeros, longer is larger. */
function compareDigits(s: string, t: string): number {
  const a = s.replace(/^0+/, '');
  const b = t.replace(/^0+/, '');
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
