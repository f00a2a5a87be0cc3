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
  // §12 Glance sync: Glance unreachable or refusing a request; the hash Glance computed
  // differs from the verified bytes; Glance hashed with an algorithm vmic cannot compare
  'GLANCE_FAILED',
  'GLANCE_HASH_MISMATCH',
  'GLANCE_HASH_UNCHECKED',
  // §13 transparency: a catalog with no valid inclusion proof under a checkpoint of the
  // pinned log key; two checkpoints of one log that no consistency proof joins (a fork:
  // the evidence of a split view)
  'NOT_LOGGED',
  'LOG_INCONSISTENT',
  // fewer of the subscription's named witnesses cosigned the checkpoint than its quorum
  'WITNESS_QUORUM_NOT_MET',
  // §7 gate: fewer of the named subscriptions endorse this SHA-256 than endorsement-quorum
  'QUORUM_NOT_MET',
  // §6: a co-signed catalog with fewer valid, distinct, pinned signers than expected
  'THRESHOLD_NOT_MET',
  // §6 (--verify-provenance): an adopted image whose upstream catalog cannot be fetched,
  // verified under this site's trust, or does not list the same bytes
  'PROVENANCE_UNVERIFIED',
  // §7 gate: the image's software inventory lists a package the site policy denies
  'PACKAGE_DENIED',
  // §7 gate: the image (or its catalog) does not claim a policy the subscription requires
  'POLICY_NOT_MET',
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];

/** Codes for usage, configuration and operational errors that are not verification results. */
export const OPERATIONAL_CODES = [
  'BAD_REQUEST',
  'NOT_FOUND',
  'CONFLICT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'CONFIG',
  'INTERNAL',
] as const;

export type OperationalCode = (typeof OPERATIONAL_CODES)[number];

export type ErrorCode = ReasonCode | OperationalCode;

const KNOWN: ReadonlySet<string> = new Set<string>([...REASON_CODES, ...OPERATIONAL_CODES]);

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && KNOWN.has(code);
}

/** `code` when it is a reason code, else `fallback` (a stored or raised code read back). */
export function reasonCodeOr(code: string, fallback: ReasonCode): ReasonCode {
  return (REASON_CODES as readonly string[]).includes(code) ? (code as ReasonCode) : fallback;
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
