import assert from 'node:assert/strict';
import { isVmicError } from '../../errors/index.ts';

/** Asserts the rejection carries `code` (and `rule`, if given); messages are never compared. */
export async function rejectsWith(
  p: Promise<unknown> | (() => unknown),
  code: string,
  rule?: string,
): Promise<void> {
  await assert.rejects(
    // then(): a synchronous throw from p() becomes a rejection too.
    () => Promise.resolve().then(() => (typeof p === 'function' ? p() : p)),
    (e: unknown) => {
      assert.ok(isVmicError(e), `expected VmicError, got ${String(e)}`);
      assert.equal(e.code, code);
      if (rule !== undefined) assert.equal(e.rule, rule);
      return true;
    },
  );
}
