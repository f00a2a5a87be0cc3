import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addSiteImage, addSubscription } from '../../catalog/site/helpers/site-rows.ts';
import { problemOf } from '../harness.ts';
import { codes, expectProblem, siteForTests, type Decision } from './setup.ts';

describe('site API: gate', () => {
  const site = siteForTests();

  test('gate: an unknown image is a 200 with UNKNOWN_IMAGE; malformed references are 400', async () => {
    const s = site();
    const token = await s.token('auditor');
    for (const ref of ['no-such-image', `sha256:${'ab'.repeat(32)}`]) {
      const res = await s.call('GET', `/gate/${encodeURIComponent(ref)}`, { token });
      assert.equal(res.status, 200);
      const d = (await res.json()) as Decision & { image: string };
      assert.equal(d.deployable, false);
      assert.deepEqual(codes(d), ['UNKNOWN_IMAGE']);
      assert.equal(d.image, ref);
    }
    await expectProblem(
      await s.call('GET', `/gate/${encodeURIComponent('sha256:xyz')}`, { token }),
      400,
      'BAD_REQUEST',
    );
    await expectProblem(
      await s.call('GET', '/gate/alma-9?subscription=nope', { token }),
      404,
      'NOT_FOUND',
    );
    await expectProblem(
      await s.call('GET', '/gate/alma-9?subscription=a&subscription=b', { token }),
      400,
      'BAD_REQUEST',
    );
  });

  test('gate: a shadowed identifier is a 409 naming the candidates; ?subscription= picks one; unapprove by the gate reference', async () => {
    const s = site();
    const db = s.inst.store.db;
    const [a, b] = ['a'.repeat(64), 'b'.repeat(64)];
    const first = await addSubscription(db, 'shadow-a');
    const second = await addSubscription(db, 'shadow-b');
    const url = 'https://mirror.example/x';
    await addSiteImage(db, first, { identifier: 'shadowed', sha256: a, byteSize: 1, url });
    await addSiteImage(db, first, { identifier: 'shadowed-latest', sha256: a, byteSize: 1, url });
    await addSiteImage(db, second, { identifier: 'shadowed', sha256: b, byteSize: 1, url });
    const token = await s.token('auditor');
    let res = await s.call('GET', '/gate/shadowed', { token });
    assert.equal(res.status, 409);
    assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const problem = await problemOf(res);
    assert.equal(problem.code, 'CONFLICT');
    assert.equal(problem.rule, 'image.ambiguous');
    const detail = String(problem.detail);
    assert.ok(detail.includes(`shadow-a/shadowed (sha256:${a}`), detail);
    assert.ok(detail.includes(`shadow-b/shadowed (sha256:${b}`), detail);

    res = await s.call('GET', '/gate/shadowed?subscription=shadow-b', { token });
    assert.equal(res.status, 200);
    const picked = (await res.json()) as Decision & { subscription: string; sha256: string };
    assert.equal(picked.subscription, 'shadow-b');
    assert.equal(picked.sha256, b);

    // Approve one name; unapprove by the other name of the same bytes: nothing stays approved.
    const approver = await s.token('site-approver');
    res = await s.call('POST', '/site/approvals', {
      token: approver,
      body: { image: 'shadowed', subscription: 'shadow-a' },
    });
    assert.equal(res.status, 200);
    res = await s.call('GET', '/gate/shadowed-latest', { token });
    assert.ok(!codes((await res.json()) as Decision).includes('NOT_APPROVED'));
    res = await s.call('POST', '/site/approvals/revoke', {
      token: approver,
      body: { image: 'shadowed-latest' },
    });
    assert.deepEqual(await res.json(), { revoked: 1, sha256: a, endorserApproved: [] });
    for (const q of ['/gate/shadowed-latest', '/gate/shadowed?subscription=shadow-a']) {
      res = await s.call('GET', q, { token });
      assert.ok(codes((await res.json()) as Decision).includes('NOT_APPROVED'), q);
    }
    // Unapproving the shadowed name itself needs the subscription, like approving it.
    res = await s.call('POST', '/site/approvals/revoke', {
      token: approver,
      body: { image: 'shadowed' },
    });
    await expectProblem(res, 409, 'CONFLICT');
  });
});
