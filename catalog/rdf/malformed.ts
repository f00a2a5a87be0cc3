import { VmicError } from '../../errors/index.ts';

/** A MALFORMED rejection naming the property (or structural rule) that failed. */
export function malformed(rule: string, message: string, cause?: unknown): VmicError {
  return new VmicError('MALFORMED', message, cause === undefined ? { rule } : { rule, cause });
}
