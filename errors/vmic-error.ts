import type { ErrorCode } from './codes.ts';

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
