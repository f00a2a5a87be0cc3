import { splitVersion } from './version-parts.ts';

/**
 * RPM version ordering: `[epoch:]version[-release]`, the epoch as a number, then version
 * and release each by rpmvercmp (rpm's lib/rpmvercmp.c, with `~` sorting before anything
 * and `^` after the end but before any further segment). Why our own: the deny-package
 * gate must order `7.76.1-26.el9_3.2` the way dnf does, or a denied build slips through.
 */
export function compareRpmVersions(a: string, b: string): number {
  const x = parseEvr(a);
  const y = parseEvr(b);
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  return rpmvercmp(x.version, y.version) || rpmvercmp(x.release, y.release);
}

export function parseEvr(text: string): { epoch: number; version: string; release: string } {
  const { epoch, main, tail } = splitVersion(text);
  return { epoch, version: main, release: tail };
}

const isDigit = (c: string) => c >= '0' && c <= '9';
const isAlpha = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isSeparator = (c: string) => c !== '' && !isDigit(c) && !isAlpha(c) && c !== '~' && c !== '^';

/** rpmvercmp: -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (s: string, k: number) => (k < s.length ? s[k]! : '');
  for (;;) {
    while (isSeparator(at(a, i))) i++;
    while (isSeparator(at(b, j))) j++;
    const x = at(a, i);
    const y = at(b, j);
    if (x === '~' || y === '~') {
      if (x !== '~') return 1;
      if (y !== '~') return -1;
      i++;
      j++;
      continue;
    }
    if (x === '^' || y === '^') {
      if (x === '') return -1;
      if (y === '') return 1;
      if (x !== '^') return 1;
      if (y !== '^') return -1;
      i++;
      j++;
      continue;
    }
    if (x === '' || y === '') break;
    const numeric = isDigit(x);
    const take = numeric ? isDigit : isAlpha;
    let ie = i;
    let je = j;
    while (take(at(a, ie))) ie++;
    while (take(at(b, je))) je++;
    let s1 = a.slice(i, ie);
    let s2 = b.slice(j, je);
    // `one` is never empty here; an empty `two` is a numeric/alpha mismatch: numbers win.
    if (s2 === '') return numeric ? 1 : -1;
    if (numeric) {
      s1 = s1.replace(/^0+/, '');
      s2 = s2.replace(/^0+/, '');
      if (s1.length !== s2.length) return s1.length > s2.length ? 1 : -1;
    }
    if (s1 !== s2) return s1 < s2 ? -1 : 1;
    i = ie;
    j = je;
  }
  const ended1 = at(a, i) === '';
  const ended2 = at(b, j) === '';
  if (ended1 && ended2) return 0;
  return ended1 ? -1 : 1;
}
