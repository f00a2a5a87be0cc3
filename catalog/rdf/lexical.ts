/**
 * XSD lexical forms used by the catalog. The reader accepts only the one canonical lexical
 * form of each value: two spellings of one value in signed content ("042" vs "42") would let
 * equal catalogs differ in their signed bytes and confuse equivocation checks (§6 step 9).
 */

const POSITIVE_INTEGER = /^[1-9][0-9]*$/;
const NON_NEGATIVE_INTEGER = /^(?:0|[1-9][0-9]*)$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
// XML Schema 1.1 §3.3.7 dateTime, narrowed: the timezone is mandatory (a floating time would
// make vmic:expires depend on the reader's zone) and years have four digits (what
// Date#toISOString writes for 0001-9999; anything else is not a catalog date).
const DATE_TIME =
  /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$/;

export function isPositiveInteger(lexical: string): boolean {
  return POSITIVE_INTEGER.test(lexical) && Number.isSafeInteger(Number(lexical));
}

export function isNonNegativeInteger(lexical: string): boolean {
  return NON_NEGATIVE_INTEGER.test(lexical) && Number.isSafeInteger(Number(lexical));
}

export function isSha256Hex(lexical: string): boolean {
  return SHA256_HEX.test(lexical);
}

/** Second precision, UTC: milliseconds are dropped, not rounded. */
export function formatDateTime(date: Date): string {
  return date.toISOString().replace(/\.[0-9]{3}Z$/, 'Z');
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** The instant of an xsd:dateTime with timezone, or undefined when the lexical form is invalid. */
export function parseDateTime(lexical: string): Date | undefined {
  const m = DATE_TIME.exec(lexical);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, , tz] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month))
    return undefined;
  // 24:00:00 is legal XSD but a second spelling of midnight; leap seconds are not in XSD.
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  if (tz !== 'Z') {
    const [oh, om] = tz!.slice(1).split(':').map(Number) as [number, number];
    if (oh > 14 || om > 59 || (oh === 14 && om !== 0)) return undefined;
  }
  const ms = Date.parse(lexical);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
