import { VmicError } from '../errors/index.ts';
import { ENDORSER_NAME, IMAGE_IDENTIFIER } from '../catalog/names.ts';
import { SHA256_HEX } from '../catalog/index.ts';

/*
 * Path parameters are checked against their alphabet before they reach the database or the
 * file system (threat: path traversal through a blob name, injection through a feed path).
 */

export function endorserParam(value: unknown): string {
  if (typeof value !== 'string' || !ENDORSER_NAME.test(value))
    throw new VmicError('BAD_REQUEST', 'endorser name must be 1-64 lowercase letters, digits or -');
  return value;
}

export function identifierParam(value: unknown): string {
  if (typeof value !== 'string' || !IMAGE_IDENTIFIER.test(value))
    throw new VmicError('BAD_REQUEST', 'image identifier must be 1-128 letters, digits, ., _ or -');
  return value;
}

export function sequenceParam(value: unknown): number {
  const n = typeof value === 'string' && /^[1-9][0-9]{0,14}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n))
    throw new VmicError('BAD_REQUEST', 'catalog sequence must be a positive integer');
  return n;
}

/** Only the canonical spelling: lowercase, 64 digits, so one blob has exactly one URL. */
export function sha256Param(value: unknown): string {
  if (typeof value !== 'string' || !SHA256_HEX.test(value))
    throw new VmicError('BAD_REQUEST', 'blob name must be 64 lowercase hex digits');
  return value;
}
