import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PolicyWireValue } from '../../../catalog/site/policy-schema.ts';
import { PolicyValue } from '../../../server/api-schema/schemas-site.ts';
import { problemOf } from '../harness.ts';
import { expectProblem, siteForTests } from './setup.ts';

describe('site API: policy', () => {
  const site = siteForTests();

  test('policy: read, set, unset; unknown keys and bad values refused', async () => {
    const s = site();
    const admin = await s.token('admin');
    type View = { policy: Record<string, unknown>; keys: { key: string }[] };
    let res = await s.call('GET', '/site/policy', { token: await s.token('auditor') });
    let view = (await res.json()) as View;
    assert.equal(view.policy.maxCatalogAgeSeconds, null);
    assert.ok(view.keys.some((k) => k.key === 'max-catalog-age'));

    res = await s.call('PUT', '/site/policy/max-catalog-age', {
      token: admin,
      body: { value: 604800 },
    });
    assert.equal(res.status, 200);
    view = (await res.json()) as View;
    assert.equal(view.policy.maxCatalogAgeSeconds, 604800);
    res = await s.call('PUT', '/site/policy/revocation', {
      token: admin,
      body: { value: 'require' },
    });
    assert.equal(((await res.json()) as View).policy.revocation, 'require');
    res = await s.call('PUT', '/site/policy/revocation', { token: admin, body: { value: null } });
    assert.equal(((await res.json()) as View).policy.revocation, 'best-effort');
    res = await s.call('PUT', '/site/policy/max-catalog-age', {
      token: admin,
      body: { value: null },
    });
    assert.equal(((await res.json()) as View).policy.maxCatalogAgeSeconds, null);

    for (const key of ['no-such-key', 'constructor', '__proto__']) {
      await expectProblem(
        await s.call('PUT', `/site/policy/${key}`, { token: admin, body: { value: '1' } }),
        404,
        'NOT_FOUND',
      );
    }
    for (const body of [{ value: 'sometimes' }, { value: true }, {}, { value: 'x', extra: 1 }]) {
      await expectProblem(
        await s.call('PUT', '/site/policy/revocation', { token: admin, body }),
        400,
        'BAD_REQUEST',
      );
    }
  });

  test('the value is checked by the schema `vmic policy set` uses, with the same message', async () => {
    const s = site();
    assert.equal(PolicyValue.properties.value, PolicyWireValue);
    const res = await s.call('PUT', '/site/policy/fetch-concurrency', {
      token: await s.token('admin'),
      body: { value: 17 },
    });
    assert.equal(res.status, 400);
    const problem = await problemOf(res);
    assert.equal(problem.code, 'BAD_REQUEST');
    assert.equal(problem.detail, 'fetch-concurrency: expected an integer between 1 and 16');
  });
});
