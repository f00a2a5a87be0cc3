import assert from 'node:assert/strict';
import { test } from 'node:test';
import { verifyAuditChain } from '../../../catalog/audit/audit-log.ts';
import { checkAuditAgainstLog } from '../../../catalog/log/audit-check.ts';
import { latestCheckpoint } from '../../../catalog/log/checkpoints.ts';
import { appendLogLeaves } from '../../../catalog/log/instance-log.ts';
import { auditLeaf } from '../../../catalog/log/leaves.ts';
import { lockedTransaction } from '../../../catalog/store/write-transaction.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { audited, rewriteChain } from './helpers/audit-tamper.ts';

test('an intact audit log agrees with the transparency log and its signed checkpoint', async () => {
  const t = await tempInstance();
  try {
    await audited(t.inst, 5);
    const r = await checkAuditAgainstLog(t.inst);
    assert.deepEqual(r.problems, []);
    assert.equal(r.logged, 5);
    assert.deepEqual(r.checkpoints, [{ size: 5, source: 'latest signed checkpoint' }]);
  } finally {
    await t.cleanup();
  }
});

test('an edited entry with the whole chain recomputed: the chain verifies, the log does not', async () => {
  const t = await tempInstance();
  try {
    await audited(t.inst, 6);
    await rewriteChain(t.inst, 3);
    assert.equal(
      (await verifyAuditChain(t.inst.store.db)).ok,
      true,
      'the attacker made the chain consistent',
    );
    const r = await checkAuditAgainstLog(t.inst);
    assert.equal(r.ok, false);
    assert.match(r.problems.join('\n'), /audit entry 3 is not the entry the log recorded/);
  } finally {
    await t.cleanup();
  }
});

test('the leaves rewritten too: they no longer have the signed root, nor that of a checkpoint held elsewhere', async () => {
  const t = await tempInstance();
  try {
    await audited(t.inst, 4);
    const held = (await latestCheckpoint(t.inst.store.db))!.note;
    await audited(t.inst, 3);
    await rewriteChain(t.inst, 2);
    // Rebuild the log from the edited chain, without the key to sign it.
    const rows = await t.inst.store.db
      .selectFrom('audit_log')
      .select(['seq', 'hash'])
      .orderBy('seq')
      .execute();
    await lockedTransaction(t.inst.store, async (tx) => {
      await tx.deleteFrom('log_leaves').execute();
      await tx.deleteFrom('log_hashes').execute();
      await appendLogLeaves(
        tx,
        rows.map((r) => auditLeaf(r.seq, r.hash)),
        t.inst.now(),
      );
    });
    const r = await checkAuditAgainstLog(t.inst, { heldCheckpoint: held });
    assert.equal(r.ok, false);
    const text = r.problems.join('\n');
    assert.match(text, /first 7 leaves do not have the root of the latest signed checkpoint/);
    assert.match(text, /first 4 leaves do not have the root of the given checkpoint/);
    assert.doesNotMatch(
      text,
      /not the entry the log recorded/,
      'leaves and rows agree: only the roots tell',
    );
    await assert.rejects(
      checkAuditAgainstLog(t.inst, { heldCheckpoint: held.replace('\n4\n', '\n5\n') }),
      { code: 'MALFORMED' },
    );
  } finally {
    await t.cleanup();
  }
});
