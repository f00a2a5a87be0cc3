/*
 * How the pages show sizes and times: binary units and relative times for reading, with the
 * exact value kept in a tooltip (and `<time datetime>`), so nothing is lost by rounding.
 */

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'] as const;

/** `3145728` → `3 MiB`; below 1 KiB, `512 bytes`. One decimal under 10 of a unit. */
export function humanBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return String(n);
  if (n < 1024) return n === 1 ? '1 byte' : `${n} bytes`;
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
  return `${shown} ${UNITS[unit]}`;
}

const STEPS: readonly [seconds: number, unit: string][] = [
  [86400 * 365, 'y'],
  [86400, 'd'],
  [3600, 'h'],
  [60, 'min'],
  [1, 's'],
];

/** A duration in its largest whole unit: `2 h`, `3 d`, `45 s`. */
export function humanDuration(seconds: number): string {
  const s = Math.abs(Math.round(seconds));
  for (const [size, unit] of STEPS) if (s >= size) return `${Math.floor(s / size)} ${unit}`;
  return '0 s';
}

/** `2 h ago` for a past time, `in 3 d` for a future one, relative to `now`. */
export function relativeTime(at: Date | string, now: Date): string {
  const t = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(t.getTime())) return String(at);
  const seconds = (t.getTime() - now.getTime()) / 1000;
  if (Math.abs(seconds) < 1) return 'now';
  return seconds < 0 ? `${humanDuration(seconds)} ago` : `in ${humanDuration(seconds)}`;
}
