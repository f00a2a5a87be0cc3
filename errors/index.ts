/*
 * The stable codes of the contract (docs/design.md §6, §7, §8) and the one error type that
 * carries them. Shared by every layer, so it imports nothing of vmic's: pki/ raises its
 * own share of these codes (pki/errors.ts), catalog/ and server/ the rest.
 */
export {
  REASON_CODES,
  OPERATIONAL_CODES,
  isErrorCode,
  knownCode,
  reasonCodeOr,
  type ReasonCode,
  type OperationalCode,
  type ErrorCode,
} from './codes.ts';
export { VmicError, isVmicError } from './vmic-error.ts';
