import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendAudit, verifyAuditChain } from '../../catalog/audit/audit-log.ts';
import { writeTransaction } from '../../catalog/store/write-transaction.ts';
import { tempInstance } from '../helpers/temp-instance.ts';
import { rawExecute } from '../helpers/backends.ts';

async function seed(n: number) {
  const t = await tempInstance();
  for (let i = 1; i <= n; i++) {
    await writeTransaction(t.inst.store, (tx) =>
      appendAudit(tx, {
        at: new Date(Date.UTC(2026, 0, i)),
        actor: 'test',
        action: 'policy.set',
        subject: `s${i}`,
        details: { i },
      }),
    );
  }
  return t;
}

test('a fresh chain verifies and links each entry to the previous hash', async () => {
  const t = await seed(5);
  try {
    const v = await verifyAuditChain(t.inst.store.db);
    assert.equal(v.ok, true);
    assert.equal(v.entries, 5);
    const rows = await t.inst.store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
    for (let i = 1; i < rows.length; i++) assert.equal(rows[i]!.prev_hash, rows[i - 1]!.hash);
  } finally {
    await t.cleanup();
  }
});

for (const [what, edit] of [
  ['details edited', `update audit_log set details = '{"i":99}' where seq = 3`],
  ['actor edited', `update audit_log set actor = 'mallory' where seq = 3`],
  ['entry deleted', `delete from audit_log where seq = 3`],
] as const) {
  test(`verification names entry 3 after it is ${what} directly in the database`, async () => {
    const t = await seed(5);
    try {
      await rawExecute(t.inst.config, edit);
      const v = await verifyAuditChain(t.inst.store.db);
      assert.equal(v.ok, false);
      assert.equal(v.ok === false && v.firstBad, 3);
    } finally {
      await t.cleanup();
    }
  });
}

test('a rehashed edit is still caught by the next entry', async () => {
  const t = await seed(4);
  try {
    // An attacker recomputes entry 2's own hash field but cannot fix entry 3's prev_hash link.
    await rawExecute(
      t.inst.config,
      `update audit_log set hash = '${'a'.repeat(64)}' where seq = 2`,
    );
    const v = await verifyAuditChain(t.inst.store.db);
    assert.equal(v.ok, false);
    assert.equal(v.ok === false && v.firstBad, 2);
  } finally {
    await t.cleanup();
  }
});
