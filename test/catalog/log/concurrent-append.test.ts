import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openInstance } from '../../../catalog/instance.ts';
import { checkAuditAgainstLog } from '../../../catalog/log/audit-check.ts';
import { logReader, logSize } from '../../../catalog/log/instance-log.ts';
import { logSigner } from '../../../catalog/log/log-key.ts';
import {
  consistencyProof,
  openNote,
  parseCheckpoint,
  verifyConsistency,
} from '../../../tlog/index.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { audited } from './helpers/audit-tamper.ts';

/*
 * Two processes' worth of writers on one database (two replicas, or `vmic serve` and a
 * cron job): the write lock must keep the log one tree. Every leaf lands once, every
 * checkpoint signed verifies, and each extends the one before.
 */
test('two instances appending at once on one database keep one consistent log', async () => {
  const t = await tempInstance({ publicUrl: 'https://vmic.example.org' });
  const other = await openInstance(t.inst.config, { env: {} });
  try {
    await Promise.all([audited(t.inst, 20), audited(other, 20)]);
    assert.equal(await logSize(t.inst.store.db), 40);
    const check = await checkAuditAgainstLog(t.inst);
    assert.deepEqual(check.problems, []);
    assert.equal(check.logged, 40);

    const signer = await logSigner(t.inst);
    assert.equal(
      (await logSigner(other)).keyHash,
      signer.keyHash,
      'one key for the log, whoever made it',
    );
    const notes = await t.inst.store.db
      .selectFrom('log_checkpoints')
      .select(['size', 'note'])
      .orderBy('size')
      .execute();
    assert.ok(notes.length >= 2, `${notes.length} checkpoints`);
    assert.equal(Number(notes.at(-1)!.size), 40, 'the last commit was signed');
    const cps = notes.map((n) => parseCheckpoint(openNote(n.note, [signer]).text, signer.name));
    for (let i = 1; i < cps.length; i++) {
      const [a, b] = [cps[i - 1]!, cps[i]!];
      const proof = await consistencyProof(a.size, b.size, logReader(t.inst.store.db));
      assert.ok(verifyConsistency(a.size, b.size, a.root, b.root, proof), `${a.size} → ${b.size}`);
    }
  } finally {
    await other.close();
    await t.cleanup();
  }
});
