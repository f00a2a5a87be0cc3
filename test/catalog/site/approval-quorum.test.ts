import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approveEndorser,
  approveImage,
  unapproveEndorser,
  unapproveImage,
} from '../../../catalog/site/approvals.ts';
import { decideDeployment } from '../../../catalog/site/gate.ts';
import { setPolicy } from '../../../catalog/site/policy.ts';
import { quorumPki, quorumSite, type QuorumPki } from './helpers/quorum-site.ts';

// Issue 18 item 5: two-person approval (policy approval-quorum 2).
let pki: QuorumPki;
let s: Awaited<ReturnType<typeof quorumSite>>;
before(async () => {
  pki = quorumPki();
  s = await quorumSite(pki);
  await s.publish('cern', [{ identifier: 'alma9', bytes: 'x' }]);
  await s.publish('desy', [{ identifier: 'sl7', bytes: 'y' }]);
  await s.publish('infn', [{ identifier: 'other', bytes: 'z' }]);
  await s.importAndFetch();
  await setPolicy(s.inst, 'approval-quorum', '2', 'test');
});
after(async () => {
  await s?.cleanup();
  pki.cleanup();
});

const decide = (image: string) => decideDeployment(s.inst, image);
const notApproved = async (image: string) => {
  const d = await decide(image);
  assert.deepEqual(
    d.reasons.map((r) => r.code),
    ['NOT_APPROVED'],
  );
  return d.reasons[0]!.message;
};
const activeRows = (sha256: string) =>
  s.inst.store.db
    .selectFrom('approvals')
    .select('approved_by')
    .where('sha256', '=', sha256)
    .where('revoked_at', 'is', null)
    .execute();

test('one approver is not enough; the gate names them and how many more are needed', async () => {
  const g = await approveImage(s.inst, { image: 'alma9', actor: 'dev:ada' });
  assert.equal(g.quorum, 2);
  assert.deepEqual(g.approvers, ['dev:ada']);
  assert.equal(g.stillNeeded, 1);
  assert.equal(g.alreadyApproved, false);
  assert.equal(
    await notApproved('alma9'),
    'approved by dev:ada; 1 more approver needed (approval-quorum 2)',
  );
  assert.deepEqual((await decide('alma9')).approvalQuorum, {
    needed: 2,
    kind: 'image',
    approvers: ['dev:ada'],
  });
});

test('the same person approving twice does not count twice', async () => {
  const again = await approveImage(s.inst, { image: 'alma9', actor: 'dev:ada' });
  assert.equal(again.alreadyApproved, true);
  assert.deepEqual(again.approvers, ['dev:ada']);
  assert.equal(again.stillNeeded, 1);
  assert.deepEqual(await activeRows(s.x), [{ approved_by: 'dev:ada' }]);
  assert.match(await notApproved('alma9'), /1 more approver needed/);
  // The database refuses a second active approval by the same person, whatever the code does.
  await assert.rejects(
    s.inst.store.db
      .insertInto('approvals')
      .values({
        subscription_id: (
          await s.inst.store.db
            .selectFrom('subscriptions')
            .select('id')
            .where('name', '=', 'cern')
            .executeTakeFirstOrThrow()
        ).id,
        kind: 'image',
        identifier: 'alma9',
        sha256: s.x,
        approved_by: 'dev:ada',
        approved_at: new Date().toISOString(),
        revoked_by: null,
        revoked_at: null,
      })
      .execute(),
  );
});

test('a second person makes it count; either unapproving makes it refused again', async () => {
  const g = await approveImage(s.inst, { image: 'alma9', actor: 'dev:bob' });
  assert.deepEqual(g.approvers, ['dev:ada', 'dev:bob']);
  assert.equal(g.stillNeeded, 0);
  const d = await decide('alma9');
  assert.equal(d.deployable, true);
  assert.deepEqual(d.approval?.approvers, ['dev:ada', 'dev:bob']);
  const audit = await s.inst.store.db
    .selectFrom('audit_log')
    .select('actor')
    .where('action', '=', 'approval.image.granted')
    .orderBy('seq')
    .execute();
  assert.deepEqual(
    audit.map((a) => a.actor),
    ['dev:ada', 'dev:bob'],
  );

  // Unapprove withdraws the caller's own approval: bob's stays recorded.
  const r = await unapproveImage(s.inst, { image: 'alma9', actor: 'dev:ada' });
  assert.equal(r.revoked, 1);
  assert.deepEqual(r.approvers, ['dev:bob']);
  assert.equal(
    await notApproved('alma9'),
    'approved by dev:bob; 1 more approver needed (approval-quorum 2)',
  );
  // Someone without an approval revokes nothing, unless they revoke everyone's (--all).
  assert.equal((await unapproveImage(s.inst, { image: 'alma9', actor: 'dev:eve' })).revoked, 0);
  assert.deepEqual(await activeRows(s.x), [{ approved_by: 'dev:bob' }]);
  const all = await unapproveImage(s.inst, { image: 'alma9', actor: 'dev:eve', all: true });
  assert.equal(all.revoked, 1);
  assert.match(await notApproved('alma9'), /approval-quorum 2: 2 approvers needed/);
});

test('approving an endorser follows the same rule: two different people', async () => {
  const one = await approveEndorser(s.inst, { subscription: 'desy', actor: 'dev:ada' });
  assert.equal(one.stillNeeded, 1);
  assert.equal(
    await notApproved('sl7'),
    'endorser approved by dev:ada; 1 more approver needed (approval-quorum 2)',
  );
  await approveEndorser(s.inst, { subscription: 'desy', actor: 'dev:ada' });
  await notApproved('sl7');
  // An image approval by another person does not add to an endorser approval.
  await approveImage(s.inst, { image: 'sl7', actor: 'dev:bob' });
  await notApproved('sl7');
  const two = await approveEndorser(s.inst, { subscription: 'desy', actor: 'dev:carol' });
  assert.equal(two.stillNeeded, 0);
  assert.equal((await decide('sl7')).deployable, true);
  assert.equal(await unapproveEndorser(s.inst, { subscription: 'desy', actor: 'dev:carol' }), 1);
  // One image approver (bob) and one endorser approver (ada) left: on a tie the gate names
  // the image approval's approvers, as it checks image approvals first.
  assert.match(await notApproved('sl7'), /^approved by dev:bob; 1 more approver needed/);
  await unapproveImage(s.inst, { image: 'sl7', actor: 'dev:bob' });
  assert.match(await notApproved('sl7'), /^endorser approved by dev:ada; 1 more approver needed/);
});

test('with approval-quorum 1 (the default) one approval counts, as before', async () => {
  await setPolicy(s.inst, 'approval-quorum', undefined, 'test');
  try {
    const g = await approveImage(s.inst, { image: 'other', actor: 'dev:ada' });
    assert.equal(g.stillNeeded, 0);
    const d = await decide('other');
    assert.equal(d.deployable, true);
    assert.equal(d.approvalQuorum, undefined);
    // Anyone's unapprove revokes it, as before.
    assert.equal((await unapproveImage(s.inst, { image: 'other', actor: 'dev:eve' })).revoked, 1);
    await notApproved('other');
  } finally {
    await setPolicy(s.inst, 'approval-quorum', '2', 'test');
  }
});
