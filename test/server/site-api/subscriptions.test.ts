import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  cosignerFromSeed,
  cosignerKeyText,
  signerFromSeed,
  verifierKeyText,
} from '../../../tlog/index.ts';
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

  test('transparency log: require by default, with no key; witnesses and a pinned key as given', async () => {
    const s = site();
    const admin = await s.token('admin');
    const expectSubject = 'C=CH, O=Acme, CN=Acme Endorser';
    let res = await s.call('POST', '/site/subscriptions', {
      token: admin,
      body: { url: 'http://127.0.0.1:9/feeds/plain/', expectSubject },
    });
    assert.equal(res.status, 201);
    assert.deepEqual(((await res.json()) as { log: unknown }).log, {
      policy: 'require',
      witnesses: [],
      quorum: 0,
    });

    const logKey = verifierKeyText(signerFromSeed('acme.example/log', randomBytes(32)));
    const witness = cosignerKeyText(cosignerFromSeed('witness.example', randomBytes(32)));
    for (const bad of [
      { logKey: 'acme.example/log+0000000+AQ==' },
      { logKey: logKey.slice(0, -4) },
      { log: 'off', logKey },
      { witnesses: [logKey] },
      { witnesses: [witness], witnessQuorum: 2 },
    ])
      await expectProblem(
        await s.call('POST', '/site/subscriptions', {
          token: admin,
          body: { url: 'http://127.0.0.1:9/feeds/bad/', expectSubject, ...bad },
        }),
        400,
        'BAD_REQUEST',
      );

    res = await s.call('POST', '/site/subscriptions', {
      token: admin,
      body: {
        url: 'http://127.0.0.1:9/feeds/logged/',
        expectSubject,
        log: 'warn',
        logKey,
        witnesses: [`${witness},http://127.0.0.1:9/witness`],
      },
    });
    assert.equal(res.status, 201);
    const { log } = (await res.json()) as {
      log: {
        policy: string;
        key: { text: string; source: string };
        witnesses: unknown;
        quorum: number;
      };
    };
    assert.equal(log.policy, 'warn');
    assert.equal(log.key.text, logKey);
    assert.equal(log.key.source, 'pinned');
    assert.deepEqual(log.witnesses, [{ key: witness, url: 'http://127.0.0.1:9/witness/' }]);
    assert.equal(log.quorum, 1);
  });

  test('co-signed: expectSigners with coSigners is kept and shown; K past the subjects is refused', async () => {
    const s = site();
    const admin = await s.token('admin');
    const body = {
      url: 'http://127.0.0.1:9/feeds/joint/',
      expectSubject: 'CN=Endorser A,O=vmic test',
      coSigners: ['CN=Security Team B,O=vmic test', 'CN=Partner Lab C,O=vmic test'],
      expectSigners: 2,
      log: 'off',
    };
    const res = await s.call('POST', '/site/subscriptions', { token: admin, body });
    assert.equal(res.status, 201);
    const sub = (await res.json()) as { signers?: { k: number; subjects: string[] } };
    assert.equal(sub.signers?.k, 2);
    assert.equal(sub.signers?.subjects.length, 3);
    assert.match(sub.signers?.subjects[1] ?? '', /Security Team B/);
    const bad = await s.call('POST', '/site/subscriptions', {
      token: admin,
      body: { ...body, url: 'http://127.0.0.1:9/feeds/other/', expectSigners: 4 },
    });
    assert.equal(bad.status, 400);
    const alone = await s.call('POST', '/site/subscriptions', {
      token: admin,
      body: { ...body, url: 'http://127.0.0.1:9/feeds/third/', expectSigners: undefined },
    });
    assert.equal(alone.status, 400, 'co-signers without expectSigners');
  });
});
