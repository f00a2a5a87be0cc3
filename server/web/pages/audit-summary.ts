import { humanBytes } from './format.ts';

/** The longest one-line summary of an entry's details; the full JSON is one click away. */
export const SUMMARY_MAX = 160;
const TEXT_MAX = 40;
const HEX = /^(?:sha(?:256|512):)?[0-9a-f]{16,}$/i;
const SIZE_KEY = /(?:bytes|size)$/i;
const ISO_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::\d{2}(?:\.\d+)?)?Z$/;

function shortText(s: string): string {
  return s.length > TEXT_MAX ? `${s.slice(0, TEXT_MAX - 1)}…` : s;
}

function valueText(key: string, v: unknown): string {
  if (typeof v === 'number') return SIZE_KEY.test(key) ? humanBytes(v) : String(v);
  if (typeof v === 'string') {
    // A hash reads as its first characters, as in `git log`: enough to tell two apart.
    if (HEX.test(v)) return `${v.slice(0, v.indexOf(':') + 9)}…`;
    const t = ISO_TIME.exec(v);
    if (t) return `${t[1]} ${t[2]} UTC`;
    return JSON.stringify(shortText(v));
  }
  if (v === null || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string' || typeof x === 'number'))
      return shortText(v.join(', ')) || 'none';
    return v.length === 1 ? '1 item' : `${v.length} items`;
  }
  return '{…}';
}

/**
 * `sha256 3f2a1b0c…, byteSize 3 MiB, title "Alma 9"`: each key with its value made short
 * (hashes cut, sizes in binary units, texts quoted and cut), bounded to SUMMARY_MAX
 * characters, so that one entry stays one line on the audit page.
 */
export function summarizeDetails(details: Record<string, unknown>): string {
  const parts = Object.entries(details).map(([k, v]) => `${k} ${valueText(k, v)}`);
  const line = parts.join(', ');
  return line.length > SUMMARY_MAX ? `${line.slice(0, SUMMARY_MAX - 1)}…` : line;
}
