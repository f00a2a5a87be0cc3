import { VmicError } from '../../errors/index.ts';

/**
 * How long a statement waits for another process's write lock before it is refused: on
 * SQLite by sqlite-busy.ts's timers, on PostgreSQL by the server's `lock_timeout`.
 */
export const LOCK_WAIT_MS = 60_000;

/** The refusal of a write that waited LOCK_WAIT_MS for another writer, on either store. */
export function lockTimeout(cause: unknown): VmicError {
  return new VmicError(
    'CONFLICT',
    `the database stayed locked by another vmic process for ${LOCK_WAIT_MS / 1000} s; try again`,
    { cause },
  );
}
