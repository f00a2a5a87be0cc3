import { appendAudit, entryHash } from '../../../../catalog/audit/audit-log.ts';
import { writeTransaction } from '../../../../catalog/store/write-transaction.ts';
import type { Instance } from '../../../../catalog/instance.ts';

/** `n` audit entries, each in a write transaction of its own (a leaf and a checkpoint each). */
export async function audited(inst: Instance, n: number): Promise<void> {
  for (let i = 0; i < n; i++)
    await writeTransaction(inst.store, (tx) =>
      appendAudit(tx, {
        at: inst.now(),
        actor: 'test',
        action: 'policy.set',
        subject: `key-${i}`,
        details: { value: i },
      }),
    );
}

/** What an attacker with the database (not the master key) does: edit entry `seq`, re-hash the chain after it. */
export async function rewriteChain(inst: Instance, seq: number): Promise<void> {
  const rows = await inst.store.db.selectFrom('audit_log').selectAll().orderBy('seq').execute();
  let prev = rows.find((r) => r.seq === seq - 1)?.hash ?? '0'.repeat(64);
  for (const r of rows.filter((x) => x.seq >= seq)) {
    const details = r.seq === seq ? JSON.stringify({ value: 'edited' }) : r.details;
    const hash = entryHash({
      seq: r.seq,
      at: r.at,
      actor: r.actor,
      action: r.action,
      subject: r.subject,
      details,
      prevHash: prev,
    });
    await inst.store.db
      .updateTable('audit_log')
      .set({ details, prev_hash: prev, hash })
      .where('seq', '=', r.seq)
      .execute();
    prev = hash;
  }
}
