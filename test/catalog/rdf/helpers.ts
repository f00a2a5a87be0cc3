import assert from 'node:assert/strict';
import { isVmicError } from '../../../errors/index.ts';

/** Asserts a VmicError with the given code (and rule, when given); tests never match messages. */
export async function rejectsWith(
  action: () => unknown,
  code: string,
  rule?: string,
): Promise<void> {
  await assert.rejects(
    async () => {
      await action();
    },
    (e: unknown) => {
      assert.ok(isVmicError(e), `expected a VmicError, got ${String(e)}`);
      assert.equal(e.code, code);
      if (rule !== undefined) assert.equal(e.rule, rule);
      return true;
    },
  );
}
