import { REASON_CODES, type ErrorCode, type OperationalCode } from '../../pki/errors.ts';

/**
 * The operational codes of pki/errors.ts as values. A Record, so the compiler refuses a
 * list that misses one or names one that does not exist. (The codes still live in pki/;
 * when they move to a shared module, this list and `knownCode` move with them.)
 */
const OPERATIONAL_CODES: Record<OperationalCode, true> = {
  BAD_REQUEST: true,
  NOT_FOUND: true,
  CONFLICT: true,
  UNAUTHENTICATED: true,
  FORBIDDEN: true,
  CONFIG: true,
  INTERNAL: true,
};

const KNOWN: ReadonlySet<string> = new Set<string>([
  ...REASON_CODES,
  ...Object.keys(OPERATIONAL_CODES),
]);

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && KNOWN.has(code);
}

/** Longest part of an unknown code quoted back in a message. */
const QUOTED_CODE_CHARS = 64;

/**
 * A code that another site sent (its problem+json `code`), checked against the known
 * list, not cast (threat: a peer, or something posing as one, steering our handling, e.g.
 * the retry on `CIPHERTEXT_INVALID`, with a code of its choosing). No code at all is
 * `fallback`; an unknown one is `fallback` too, and `unknown` quotes it (bounded) for the
 * message.
 */
export function knownCode(
  raw: unknown,
  fallback: ErrorCode,
): { code: ErrorCode; unknown?: string } {
  if (isErrorCode(raw)) return { code: raw };
  if (typeof raw !== 'string') return { code: fallback };
  return { code: fallback, unknown: JSON.stringify(raw.slice(0, QUOTED_CODE_CHARS)) };
}
