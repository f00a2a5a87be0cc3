import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { expectProblem, siteForTests } from './setup.ts';

describe('site API: subscriptions', () => {
  const site = siteForTests();

  test('subscriptions: subscribe, list, get, disable, enable, delete', async () => {
    const s = site();
    const admin = await s.token('admin');
    const body = {
      url: 'http://127.0.0.1:9/feeds/acme/',
      expectSubject: 'C=CH, O=Acme, CN=Acme Endorser',
      log: 'off',
    };
    let res = await s.call('POST', '/site/subscriptions', { token: admin, body });
    assert.equal(res.status, 201);
    assert.match(res.headers.get('location') ?? '', /\/api\/v1\/site\/subscriptions\/acme$/);
    const sub = (await res.json()) as { name: string; url: string; enabled: boolean };
    assert.equal(sub.name, 'acme');
    assert.equal(sub.url, 'http://127.0.0.1:9/feeds/acme/catalog.p7m');
    assert.equal(sub.enabled, true);

    await expectProblem(
      await s.call('POST', '/site/subscriptions', { token: admin, body }),
      409,
      'CONFLICT',
    );
    for (const bad of [
      { ...body, name: 'other', extra: true },
      { url: body.url },
      { ...body, name: 'other', expectSubject: 7 },
      { ...body, name: 'other', expectSubject: 'not a DN' },
      { ...body, name: 'Not A Name' },
    ]) {
      await expectProblem(
        await s.call('POST', '/site/subscriptions', { token: admin, body: bad }),
        400,
        'BAD_REQUEST',
      );
    }

    const reader = await s.token('site-approver');
    res = await s.call('GET', '/site/subscriptions', { token: reader });
    assert.deepEqual(
      ((await res.json()) as { subscriptions: { name: string }[] }).subscriptions.map(
        (x) => x.name,
      ),
      ['acme'],
    );
    res = await s.call('POST', '/site/subscriptions/acme/disable', { token: admin });
    assert.equal(((await res.json()) as { enabled: boolean }).enabled, false);
    // Importing a disabled subscription by name is refused, not silently skipped.
    await expectProblem(
      await s.call('POST', '/site/subscriptions/acme/import', { token: admin }),
      409,
      'CONFLICT',
    );
    res = await s.call('GET', '/site/subscriptions/acme', { token: reader });
    assert.equal(((await res.json()) as { enabled: boolean }).enabled, false);
    res = await s.call('POST', '/site/subscriptions/acme/enable', { token: admin });
    assert.equal(((await res.json()) as { enabled: boolean }).enabled, true);
    res = await s.call('DELETE', '/site/subscriptions/acme', { token: admin });
    assert.equal(res.status, 204);
    await expectProblem(
      await s.call('GET', '/site/subscriptions/acme', { token: reader }),
      404,
      'NOT_FOUND',
    );
    await expectProblem(
      await s.call('GET', '/site/subscriptions/..%2Fx', { token: reader }),
      400,
      'BAD_REQUEST',
    );
  });
});
