import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { derToPem } from '../../../pki/index.ts';
import { NAMES, crlOf, scenario, type Scenario } from '../../fixtures/pki-fixtures.ts';
import { signedCatalog, startFeedServer } from '../../catalog/site/helpers/signed-feed.ts';
import type { SiteHarness } from '../site-harness.ts';
import { at, codes, expectProblem, siteForTests, type Decision } from './setup.ts';

describe('site API: import, images, approvals and the gate over a real feed', () => {
  const site = siteForTests();
  let s: SiteHarness;
  let pki: Scenario;
  let feed: Awaited<ReturnType<typeof startFeedServer>>;
  const images = [
    { identifier: 'alma-9', sha256: 'a1'.repeat(32), byteSize: 1000 },
    { identifier: 'debian-12', sha256: 'd1'.repeat(32), byteSize: 2000 },
  ];
  const catalog = (sequence: number) =>
    signedCatalog({
      signer: pki.leaf,
      chain: [pki.intermediate.certificate],
      sequence,
      issued: at(-1),
      expires: at(10),
      images,
    });

  before(async () => {
    pki = await scenario();
    feed = await startFeedServer();
    s = site();
  });
  after(async () => {
    await feed.stop();
  });

  test('trust → subscribe → import → NOT_APPROVED, NOT_FETCHED → approve → approved', async () => {
    const admin = await s.token('admin');
    const approver = await s.token('site-approver');
    const auditor = await s.token('auditor');
    const pem =
      [pki.root.certificate, pki.intermediate.certificate]
        .map((c) => derToPem(c, 'CERTIFICATE'))
        .join('') +
      [await crlOf(pki.intermediate), await crlOf(pki.root)]
        .map((c) => derToPem(c, 'X509 CRL'))
        .join('');
    assert.equal(
      (await s.call('POST', '/site/trust', { token: admin, body: pem, type: 'text/plain' })).status,
      200,
    );
    let res = await s.call('POST', '/site/subscriptions', {
      token: admin,
      body: {
        url: feed.url,
        expectSubject: NAMES.leaf,
        expectIssuer: NAMES.intermediate,
        log: 'off',
      },
    });
    assert.equal(res.status, 201);
    assert.equal(((await res.json()) as { name: string }).name, 'fx');

    // Refused import: the request succeeded, the outcome says failed with its code.
    feed.serve(undefined);
    res = await s.call('POST', '/site/subscriptions/fx/import', { token: admin });
    assert.equal(res.status, 200);
    let outcome = (await res.json()) as { status: string; code?: string; sequence?: number };
    assert.equal(outcome.status, 'failed');
    assert.equal(outcome.code, 'FETCH_FAILED');

    feed.serve(await catalog(1));
    res = await s.call('POST', '/site/subscriptions/fx/import', { token: admin });
    assert.equal(res.status, 200);
    outcome = (await res.json()) as typeof outcome;
    assert.equal(outcome.status, 'applied');
    assert.equal(outcome.sequence, 1);

    res = await s.call('GET', '/site/subscriptions/fx', { token: auditor });
    const sub = (await res.json()) as { catalog?: { sequence: number }; lastError?: unknown };
    assert.equal(sub.catalog?.sequence, 1);
    assert.equal(sub.lastError, undefined);

    type Listed = Decision & {
      identifier: string;
      subscription: string;
      endorsed: boolean;
      approved: boolean;
      fetched: boolean;
    };
    res = await s.call('GET', '/site/images?subscription=fx', { token: auditor });
    assert.equal(res.status, 200);
    let listed = ((await res.json()) as { images: Listed[] }).images;
    assert.deepEqual(
      listed.map((i) => i.identifier),
      ['alma-9', 'debian-12'],
    );
    for (const i of listed) {
      assert.equal(i.subscription, 'fx');
      assert.deepEqual(codes(i), ['NOT_APPROVED', 'NOT_FETCHED']);
      assert.deepEqual(
        [i.endorsed, i.approved, i.fetched, i.deployable],
        [true, false, false, false],
      );
    }

    res = await s.call('GET', '/gate/alma-9', { token: await s.token('endorser:cern') });
    assert.equal(res.status, 200);
    assert.deepEqual(codes((await res.json()) as Decision), ['NOT_APPROVED', 'NOT_FETCHED']);

    // Approve one image version as site-approver; its sibling stays unapproved.
    res = await s.call('POST', '/site/approvals', { token: approver, body: { image: 'alma-9' } });
    assert.equal(res.status, 200);
    const approval = (await res.json()) as { kind: string; sha256: string; subscription: string };
    assert.equal(approval.kind, 'image');
    assert.equal(approval.sha256, images[0]!.sha256);
    assert.equal(approval.subscription, 'fx');

    res = await s.call('GET', `/gate/${encodeURIComponent(`sha256:${images[0]!.sha256}`)}`, {
      token: auditor,
    });
    assert.deepEqual(codes((await res.json()) as Decision), ['NOT_FETCHED']);
    res = await s.call('GET', '/gate/debian-12?subscription=fx', { token: auditor });
    assert.deepEqual(codes((await res.json()) as Decision), ['NOT_APPROVED', 'NOT_FETCHED']);
    res = await s.call('GET', '/site/images', { token: approver });
    listed = ((await res.json()) as { images: Listed[] }).images;
    assert.deepEqual(
      listed.map((i) => [i.identifier, i.approved]),
      [
        ['alma-9', true],
        ['debian-12', false],
      ],
    );
    res = await s.call('GET', '/site/approvals', { token: auditor });
    assert.deepEqual(
      ((await res.json()) as { approvals: { kind: string; identifier?: string }[] }).approvals.map(
        (a) => [a.kind, a.identifier],
      ),
      [['image', 'alma-9']],
    );

    // Endorser-level approval covers the rest; revoking it brings NOT_APPROVED back.
    res = await s.call('POST', '/site/approvals', { token: admin, body: { endorser: 'fx' } });
    assert.equal(((await res.json()) as { kind: string }).kind, 'endorser');
    res = await s.call('GET', '/gate/debian-12', { token: auditor });
    assert.deepEqual(codes((await res.json()) as Decision), ['NOT_FETCHED']);
    res = await s.call('POST', '/site/approvals/revoke', {
      token: approver,
      body: { endorser: 'fx' },
    });
    assert.deepEqual(await res.json(), { revoked: 1 });
    res = await s.call('GET', '/gate/debian-12', { token: auditor });
    assert.deepEqual(codes((await res.json()) as Decision), ['NOT_APPROVED', 'NOT_FETCHED']);

    // Strict bodies.
    for (const body of [
      { image: 'alma-9', endorser: 'fx' },
      { image: 'alma-9', extra: 1 },
      { image: 7 },
      {},
      { endorser: 'Not A Name' },
    ]) {
      await expectProblem(
        await s.call('POST', '/site/approvals', { token: approver, body }),
        400,
        'BAD_REQUEST',
      );
    }

    // Import all: unchanged feed; a run already in progress is a 409.
    res = await s.call('POST', '/site/import', { token: admin });
    assert.equal(res.status, 200);
    const all = (await res.json()) as { outcomes: { subscription: string; status: string }[] };
    assert.deepEqual(
      all.outcomes.map((o) => o.subscription),
      ['fx'],
    );
    assert.notEqual(all.outcomes[0]!.status, 'failed');
    const release = await s.holdRunLock('import');
    try {
      await expectProblem(await s.call('POST', '/site/import', { token: admin }), 409, 'CONFLICT');
    } finally {
      await release();
    }

    // Disabling the subscription shows on the gate.
    await s.call('POST', '/site/subscriptions/fx/disable', { token: admin });
    res = await s.call('GET', '/gate/alma-9', { token: auditor });
    assert.deepEqual(codes((await res.json()) as Decision), [
      'NOT_FETCHED',
      'SUBSCRIPTION_DISABLED',
    ]);
  });
});
