import { VmicError, type ErrorCode } from '../errors/index.ts';

/**
 * pki's own share of the contract's codes (errors/codes.ts): the only ones its checks may
 * raise. Path, certificate, CRL and CMS failures; a caller's bad input to a pki function
 * is BAD_REQUEST. Anything else (ordering, pins, the gate, migration) is decided above pki.
 */
export const PKI_CODES = [
  'BAD_REQUEST',
  'MALFORMED',
  'SIGNATURE_INVALID',
  'WEAK_ALGORITHM',
  'CHAIN_UNTRUSTED',
  'CERT_EXPIRED',
  'CERT_NOT_YET_VALID',
  'KEY_USAGE',
  'CERT_REVOKED',
  'CRL_STALE',
  'CRL_INVALID',
] as const satisfies readonly ErrorCode[];

export type PkiCode = (typeof PKI_CODES)[number];

/** A VmicError raised by pki: its code is one of pki's own, checked by the compiler. */
export class PkiError extends VmicError {
  declare readonly code: PkiCode;

  constructor(code: PkiCode, message: string, options: { rule?: string; cause?: unknown } = {}) {
    super(code, message, options);
  }
}
