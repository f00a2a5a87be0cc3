import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectProblem, siteForTests } from './setup.ts';

/** Every site route, with a body that passes validation where one is needed. */
const ROUTES: { method: string; route: string; body?: unknown; write: boolean; approver?: true }[] =
  [
    { method: 'GET', route: '/site/trust', write: false },
    { method: 'POST', route: '/site/trust', body: { pem: 'x' }, write: true },
    { method: 'GET', route: '/site/subscriptions', write: false },
    {
      method: 'POST',
      route: '/site/subscriptions',
      body: { url: 'http://127.0.0.1:9/feeds/x/', expectSubject: 'CN=x', log: 'off' },
      write: true,
    },
    { method: 'GET', route: '/site/subscriptions/nope', write: false },
    { method: 'POST', route: '/site/subscriptions/nope/enable', write: true },
    { method: 'POST', route: '/site/subscriptions/nope/disable', write: true },
    { method: 'DELETE', route: '/site/subscriptions/nope', write: true },
    { method: 'POST', route: '/site/subscriptions/nope/import', write: true },
    { method: 'POST', route: '/site/import', write: true },
    { method: 'POST', route: '/site/fetch', write: true },
    { method: 'GET', route: '/site/images', write: false },
    { method: 'GET', route: '/site/approvals', write: false },
    {
      method: 'POST',
      route: '/site/approvals',
      body: { image: 'nope' },
      write: true,
      approver: true,
    },
    {
      method: 'POST',
      route: '/site/approvals/revoke',
      body: { endorser: 'nope' },
      write: true,
      approver: true,
    },
    { method: 'GET', route: '/site/policy', write: false },
    { method: 'PUT', route: '/site/policy/fetch-scope', body: { value: 'endorsed' }, write: true },
  ];

describe('site API: roles', () => {
  const site = siteForTests();

  test('no token: 401 on every site route and on the gate', async () => {
    const s = site();
    for (const r of [...ROUTES, { method: 'GET', route: '/gate/alma-9', body: undefined }]) {
      await expectProblem(
        await s.call(r.method, r.route, { body: r.body }),
        401,
        'UNAUTHENTICATED',
      );
    }
  });

  test('endorser roles: 403 on every site route, but the gate answers', async () => {
    const s = site();
    const token = await s.token('endorser:cern');
    for (const r of ROUTES)
      await expectProblem(
        await s.call(r.method, r.route, { token, body: r.body }),
        403,
        'FORBIDDEN',
      );
    const res = await s.call('GET', '/gate/alma-9', { token });
    assert.equal(res.status, 200);
  });

  test('auditor reads everything and changes nothing', async () => {
    const s = site();
    const token = await s.token('auditor');
    for (const r of ROUTES) {
      const res = await s.call(r.method, r.route, { token, body: r.body });
      if (r.write) await expectProblem(res, 403, 'FORBIDDEN');
      else assert.notEqual(res.status, 403, `${r.method} ${r.route}`);
    }
    assert.equal((await s.call('GET', '/site/trust', { token })).status, 200);
    assert.equal((await s.call('GET', '/gate/alma-9', { token })).status, 200);
  });

  test('site-approver approves, and is refused trust, subscriptions, import, fetch and policy', async () => {
    const s = site();
    const token = await s.token('site-approver');
    for (const r of ROUTES) {
      const res = await s.call(r.method, r.route, { token, body: r.body });
      if (r.write && !r.approver) await expectProblem(res, 403, 'FORBIDDEN');
      // Past the role check: the targets do not exist.
      else if (r.approver) await expectProblem(res, 404, 'NOT_FOUND');
      else assert.notEqual(res.status, 403, `${r.method} ${r.route}`);
    }
  });
});
