import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cosignerKeyText,
  parseCosignerKey,
  verifierKeyText,
  verifyCosignatures,
} from '../../tlog/index.ts';
import { logSigner, witnessCosigner } from '../../catalog/log/log-key.ts';
import { addLogWitness } from '../../catalog/log/log-witnesses.ts';
import { followCommandLog } from '../../catalog/witness/follow.ts';
import { subscribe } from '../../catalog/site/subscriptions.ts';
import { runImport } from '../../catalog/site/import-run.ts';
import { goTlogCheck } from '../helpers/go-tlog.ts';
import { checkAuditAgainstLog } from '../../catalog/log/audit-check.ts';
import { appendLogLeaves } from '../../catalog/log/instance-log.ts';
import { auditLeaf } from '../../catalog/log/leaves.ts';
import { lockedTransaction } from '../../catalog/store/write-transaction.ts';
import { audited, rewriteChain } from '../catalog/log/helpers/audit-tamper.ts';
import {
  buildDemoHierarchy,
  endorserDir,
  ENDORSER_SUBJECT,
  publishWith,
  removeDirs,
  serve,
  siteAt,
  type Served,
} from './helpers/log-instances.ts';

/*
 * A subscription that needs k cosignatures (issue 17): with `--witness-quorum 2` and one
 * of its two witnesses down, the import is refused with WITNESS_QUORUM_NOT_MET naming the
 * missing one; with both up, it is applied. Witnesses are real vmic instances following
 * the endorser's log; the endorser also collects cosignatures itself at publish, which a
 * site that knows only a witness's key (no URL) then finds with the proof.
 */
let endorser: Served;
let w1: Served;
let w2: Served;
let site: Served;
let logKey: string;
let dir: string;

before(async () => {
  const h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  dir = await endorserDir(h);
  endorser = await serve(dir);
  logKey = verifierKeyText(await logSigner(endorser.inst));
  [w1, w2, site] = await Promise.all([siteAt(h, 'w1'), siteAt(h, 'w2'), siteAt(h, 'site')]);
  for (const w of [w1, w2])
    await followCommandLog(w.inst, { key: logKey, url: `${endorser.url}/log/`, actor: 'test' });
});

after(async () => {
  for (const s of [endorser, w1, w2, site]) await s?.close();
  removeDirs(dir, ...[w1, w2, site].map((s) => s.dir));
});

const keyOf = async (s: Served) => cosignerKeyText(await witnessCosigner(s.inst));

test('quorum 2 with one witness down is WITNESS_QUORUM_NOT_MET; with both up the catalog is applied', async () => {
  await subscribe(site.inst, {
    url: `${endorser.url}/feeds/cern/`,
    expectSubject: ENDORSER_SUBJECT,
    witnesses: [`${await keyOf(w1)},${w1.url}/witness/`, `${await keyOf(w2)},${w2.url}/witness/`],
    witnessQuorum: 2,
    actor: 'test',
  });
  await w2.stop();
  const [refused] = await runImport(site.inst, { actor: 'test' });
  assert.equal(refused?.code, 'WITNESS_QUORUM_NOT_MET', refused?.message);
  const w2name = (await witnessCosigner(w2.inst)).name;
  assert.match(refused?.message ?? '', new RegExp(`2 of 2 witnesses .*; 1 did`));
  assert.ok(refused?.message?.includes(w2name), 'the missing witness is named');
  const applied = await site.inst.store.db.selectFrom('site_catalogs').select('id').execute();
  assert.equal(applied.length, 0);

  await w2.restart();
  const [ok] = await runImport(site.inst, { actor: 'test' });
  assert.equal(ok?.status, 'applied', ok?.message);
  assert.equal(ok?.log?.cosigners?.length, 2);
  // The trust-on-first-use key was recorded with the subscription.
  const row = await site.inst.store.db
    .selectFrom('subscriptions')
    .select(['log_key', 'log_key_source'])
    .executeTakeFirstOrThrow();
  assert.deepEqual(row, { log_key: logKey, log_key_source: 'first-use' });
});

test('cosignatures the endorser collected at publish are served with the proof and count', async () => {
  await addLogWitness(endorser.inst, {
    key: await keyOf(w1),
    url: `${w1.url}/witness/`,
    actor: 'test',
  });
  await publishWith(endorser.inst, 'alma10', 'quorum');
  const proof = (await (await fetch(`${endorser.url}/log/proof/catalog/cern/2`)).json()) as {
    checkpoint: string;
  };
  const [c] = verifyCosignatures(proof.checkpoint, [parseCosignerKey(await keyOf(w1))], new Date());
  assert.ok(c, 'the proof is under a checkpoint w1 cosigned');
  // Go's note package still verifies the log's signature and ignores the cosignature.
  const go = goTlogCheck(['checkpoint', logKey, 'endorser.test'], proof.checkpoint);
  assert.equal(go.status, 0, go.stderr);

  await subscribe(site.inst, {
    url: `${endorser.url}/feeds/cern/`,
    name: 'keys-only',
    expectSubject: ENDORSER_SUBJECT,
    logKey,
    witnesses: [await keyOf(w1)],
    actor: 'test',
  });
  const [ok] = await runImport(site.inst, { subscription: 'keys-only', actor: 'test' });
  assert.equal(ok?.status, 'applied', ok?.message);
  assert.equal(ok?.sequence, 2);

  await subscribe(site.inst, {
    url: `${endorser.url}/feeds/cern/`,
    name: 'w2-only',
    expectSubject: ENDORSER_SUBJECT,
    logKey,
    witnesses: [await keyOf(w2)],
    actor: 'test',
  });
  const [refused] = await runImport(site.inst, { subscription: 'w2-only', actor: 'test' });
  assert.equal(refused?.code, 'WITNESS_QUORUM_NOT_MET', refused?.message);
  assert.match(refused?.message ?? '', /no cosignature served and no URL to ask/);
});

test('an audit entry edited with chain and log rebuilt no longer has the root the witness cosigned', async () => {
  await audited(endorser.inst, 2); // the log grows past the checkpoint the witness cosigned
  const before = await checkAuditAgainstLog(endorser.inst);
  assert.equal(before.ok, true, before.problems.join('\n'));
  assert.ok(before.checkpoints.some((c) => c.source === 'newest checkpoint witnesses cosigned'));
  // The attacker holds the database, not the sealed log key: edits an entry, recomputes the
  // chain, rebuilds every leaf and subtree hash to match, and drops the later checkpoints.
  await rewriteChain(endorser.inst, 2);
  const rows = await endorser.inst.store.db
    .selectFrom('audit_log')
    .select(['seq', 'hash'])
    .orderBy('seq')
    .execute();
  const leaves = await endorser.inst.store.db
    .selectFrom('log_leaves')
    .select(['idx', 'data'])
    .orderBy('idx')
    .execute();
  const rebuilt = leaves.map((l) => {
    const m = /^audit (\d+) /.exec(Buffer.from(l.data).toString('utf8'));
    const row = m ? rows.find((r) => r.seq === Number(m[1])) : undefined;
    return row ? auditLeaf(row.seq, row.hash) : Buffer.from(l.data);
  });
  await lockedTransaction(endorser.inst.store, async (tx) => {
    await tx.deleteFrom('log_leaves').execute();
    await tx.deleteFrom('log_hashes').execute();
    await appendLogLeaves(tx, rebuilt, endorser.inst.now());
  });
  const after = await checkAuditAgainstLog(endorser.inst);
  assert.equal(after.ok, false);
  assert.match(
    after.problems.join('\n'),
    /leaves do not have the root of the newest checkpoint witnesses cosigned/,
  );
  // The witness's own copy says the same from outside this database.
  const held = await (await fetch(`${w1.url}/witness/checkpoint?origin=endorser.test`)).text();
  const vsWitness = await checkAuditAgainstLog(endorser.inst, { heldCheckpoint: held });
  assert.match(vsWitness.problems.join('\n'), /root of the given checkpoint/);
});
