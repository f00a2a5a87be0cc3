import { splitVersion } from './version-parts.ts';

/**
 * Debian package version ordering, as dpkg compares versions (lib/dpkg/version.c,
 * deb-version(7)): `[epoch:]upstream[-revision]`, the epoch compared as a number, then
 * upstream and revision each by `verrevcmp`: alternating non-digit parts (letters sort
 * before other characters, `~` before everything, even the end of the part) and digit
 * parts (compared as numbers). Why our own: the deny-package gate must order versions the
 * way the Debian archive does (`3.0.11-1~deb12u2` is older than `3.0.11-1`), or a denied
 * version slips through.
 */
export interface DebianVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

export function parseDebianVersion(text: string): DebianVersion {
  const { epoch, main, tail } = splitVersion(text);
  return { epoch, upstream: main, revision: tail };
}

/** <0, 0, >0 as dpkg --compare-versions orders `a` and `b`. */
export function compareDebianVersions(a: string, b: string): number {
  const x = parseDebianVersion(a);
  const y = parseDebianVersion(b);
  if (x.epoch !== y.epoch) return x.epoch < y.epoch ? -1 : 1;
  return sign(verrevcmp(x.upstream, y.upstream)) || sign(verrevcmp(x.revision, y.revision));
}

const isDigit = (c: string) => c >= '0' && c <= '9';
const isAlpha = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

/** dpkg's `order`: digits and the end 0, `~` -1, letters their code, others after letters. */
function order(c: string): number {
  if (c === '' || isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  if (c === '~') return -1;
  return c.charCodeAt(0) + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  const at = (s: string, k: number) => (k < s.length ? s[k]! : '');
  while (i < a.length || j < b.length) {
    while ((at(a, i) !== '' && !isDigit(at(a, i))) || (at(b, j) !== '' && !isDigit(at(b, j)))) {
      const ac = order(at(a, i));
      const bc = order(at(b, j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (at(a, i) === '0') i++;
    while (at(b, j) === '0') j++;
    let firstDiff = 0;
    while (isDigit(at(a, i)) && isDigit(at(b, j))) {
      if (!firstDiff) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(at(a, i))) return 1;
    if (isDigit(at(b, j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}
