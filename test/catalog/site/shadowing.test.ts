import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approveEndorser,
  approveImage,
  unapproveEndorser,
  unapproveImage,
} from '../../../catalog/site/approvals.ts';
import { decideDeployment } from '../../../catalog/site/gate.ts';
import { shadowedSite } from './helpers/shadow-site.ts';

// Issue 10 item 3: an identifier listed by two subscriptions is refused as ambiguous,
// naming the candidates, until the caller picks one; unapprove works by the gate's own
// image reference, so that it can never leave the image it names approved.
let s: Awaited<ReturnType<typeof shadowedSite>>;

before(async () => {
  s = await shadowedSite();
});
after(() => s.cleanup());

const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

test('a shadowed identifier is refused as ambiguous, listing every candidate', async () => {
  await assert.rejects(
    decideDeployment(s.inst, 'alma9'),
    (e: Error & { code?: string; rule?: string }) => {
      assert.equal(e.code, 'CONFLICT');
      assert.equal(e.rule, 'image.ambiguous');
      assert.ok(e.message.includes(`alpha/alma9 (sha256:${s.x.sha256}`), e.message);
      assert.ok(e.message.includes(`beta/alma9 (sha256:${s.y.sha256}`), e.message);
      assert.match(e.message, /--subscription/);
      return true;
    },
  );
  // Approving is refused the same way.
  await assert.rejects(approveImage(s.inst, { image: 'alma9', actor: 'test' }), {
    code: 'CONFLICT',
    rule: 'image.ambiguous',
  });
});

test('--subscription picks one; the same bytes by sha256:HEX are one image', async () => {
  const beta = await decideDeployment(s.inst, 'alma9', { subscription: 'beta' });
  assert.equal(beta.subscription, 'beta');
  assert.equal(beta.sha256, s.y.sha256);
  assert.deepEqual(codes(beta), ['NOT_APPROVED']);
  const alpha = await decideDeployment(s.inst, 'alma9', { subscription: 'alpha' });
  assert.equal(alpha.sha256, s.x.sha256);
  const bySha = await decideDeployment(s.inst, `sha256:${s.x.sha256}`);
  assert.equal(bySha.subscription, 'alpha');
});

test('unapprove by another identifier of the same bytes leaves nothing approved', async () => {
  const alma9 = { image: 'alma9', subscription: 'alpha' };
  await approveImage(s.inst, { ...alma9, actor: 'test' });
  assert.equal(
    (await decideDeployment(s.inst, 'alma9', { subscription: 'alpha' })).deployable,
    true,
  );
  // The approval binds to the SHA-256, so the other name of the same bytes is deployable too.
  assert.equal((await decideDeployment(s.inst, 'alma9-latest')).deployable, true);

  const r = await unapproveImage(s.inst, { image: 'alma9-latest', actor: 'test' });
  assert.deepEqual(r, { revoked: 1, sha256: s.x.sha256, endorserApproved: [] });
  assert.deepEqual(codes(await decideDeployment(s.inst, 'alma9-latest')), ['NOT_APPROVED']);
  assert.deepEqual(codes(await decideDeployment(s.inst, 'alma9', { subscription: 'alpha' })), [
    'NOT_APPROVED',
  ]);
});

test('unapprove by sha256:HEX revokes every image approval of those bytes', async () => {
  await approveImage(s.inst, { image: 'alma9', subscription: 'alpha', actor: 'test' });
  const r = await unapproveImage(s.inst, { image: `sha256:${s.x.sha256}`, actor: 'test' });
  assert.equal(r.revoked, 1);
  assert.deepEqual(codes(await decideDeployment(s.inst, `sha256:${s.x.sha256}`)), ['NOT_APPROVED']);
  // By identifier, a shadowed name needs --subscription here too.
  await assert.rejects(unapproveImage(s.inst, { image: 'alma9', actor: 'test' }), {
    code: 'CONFLICT',
  });
});

test('unapprove says when an endorser approval still covers the image', async () => {
  await approveEndorser(s.inst, { subscription: 'alpha', actor: 'test' });
  try {
    const r = await unapproveImage(s.inst, { image: 'alma9-latest', actor: 'test' });
    assert.deepEqual(r, { revoked: 0, sha256: s.x.sha256, endorserApproved: ['alpha'] });
  } finally {
    await unapproveEndorser(s.inst, { subscription: 'alpha', actor: 'test' });
  }
});
