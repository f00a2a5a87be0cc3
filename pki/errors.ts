/**
 * Reason codes of the external contract (docs/design.md §6, §7 and §8). Callers and tests branch
 * on the code, never on the message, so these strings are stable.
 */
export const REASON_CODES = [
  // §6 import / verification
  'FETCH_FAILED',
  'TOO_LARGE',
  'MALFORMED',
  'SIGNATURE_INVALID',
  'WEAK_ALGORITHM',
  'CHAIN_UNTRUSTED',
  'CERT_EXPIRED',
  'CERT_NOT_YET_VALID',
  'KEY_USAGE',
  'CERT_REVOKED',
  'CRL_STALE',
  // a CRL held for an issuer in the path that cannot be used (bad signature, issuer lacks
  // cRLSign, unknown critical extension, not yet valid): fails closed under every policy
  'CRL_INVALID',
  'SUBJECT_MISMATCH',
  'NOT_CANONICAL',
  'CATALOG_EXPIRED',
  'EQUIVOCATION',
  'ROLLBACK',
  // §7 deploy gate
  'UNKNOWN_IMAGE',
  'NOT_ENDORSED',
  'SUBSCRIPTION_DISABLED',
  'NOT_APPROVED',
  'NOT_FETCHED',
  'HASH_MISMATCH',
  'SIGNER_REVOKED',
  // §8 migration (receiver's checks of a transfer)
  'UNKNOWN_PEER',
  'WRONG_RECIPIENT',
  'REPLAY',
  'KEY_UNWRAP_FAILED',
  'CIPHERTEXT_INVALID',
  // a download that ended by its deadline or throughput floor (threat: a trickling host)
  'TOO_SLOW',
  // a record left running by a process that is gone (kill -9, power loss)
  'INTERRUPTED',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

/** Codes for usage, configuration and operational errors that are not verification results. */
export type OperationalCode =
  | 'BAD_REQUEST'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'CONFIG'
  | 'INTERNAL';

export type ErrorCode = ReasonCode | OperationalCode;

/**
 * The one error base of vmic: a stable code, a human message, and optionally the
 * named rule that failed (e.g. `basicConstraints.cA`, RFC 5280 §4.2.1.9) and a cause.
 */
export class VmicError extends Error {
  readonly code: ErrorCode;
  readonly rule: string | undefined;

  constructor(code: ErrorCode, message: string, options: { rule?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'VmicError';
    this.code = code;
    this.rule = options.rule;
  }
}

export function isVmicError(e: unknown): e is VmicError {
  return e instanceof VmicError;
}
