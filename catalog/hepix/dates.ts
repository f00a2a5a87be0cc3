import { VmicError } from '../../errors/index.ts';

/** The list's date form: `YYYY-MM-DDTHH:MM:SSZ`, UTC, whole seconds, nothing else. */
const HEPIX_DATE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;

export function formatHepixDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Strict: a date that does not round-trip (e.g. Feb 30) is MALFORMED, naming the key. */
export function parseHepixDate(value: unknown, key: string): Date {
  const m = typeof value === 'string' ? HEPIX_DATE.exec(value) : null;
  const d = m ? new Date(value as string) : undefined;
  if (!m || !d || Number.isNaN(d.getTime()) || formatHepixDate(d) !== value)
    throw new VmicError('MALFORMED', `${key} must be a date YYYY-MM-DDTHH:MM:SSZ`, { rule: key });
  return d;
}
