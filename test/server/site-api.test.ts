import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDemoHierarchy, derToPem } from '../../pki/index.ts';
import { FIXTURE_TIME, NAMES, crlOf, scenario, type Scenario } from '../fixtures/pki-fixtures.ts';
import { signedCatalog, startFeedServer } from '../catalog/site/helpers/signed-feed.ts';
import { randomImage, startImageServer } from '../catalog/site/helpers/image-server.ts';
import { addSiteImage, addSubscription } from '../catalog/site/helpers/site-rows.ts';
import { problemOf } from './harness.ts';
import { startSite, type SiteHarness } from './site-harness.ts';

const DAY = 86400_000;
const at = (days: number) => new Date(FIXTURE_TIME.getTime() + days * DAY);

interface Decision {
  deployable: boolean;
  reasons: { code: string }[];
}
const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code).sort();

async function expectProblem(res: Response, status: number, code: string): Promise<void> {
  assert.equal(res.status, status, `${res.url}: ${res.status}`);
  assert.equal((await problemOf(res)).code, code, res.url);
}

/** Every site route, with a body that passes validation where one is needed. */
const ROUTES: { method: string; route: string; body?: unknown; write: boolean; approver?: true }[] =
  [
    { method: 'GET', route: '/site/trust', write: false },
    { method: 'POST', route: '/site/trust', body: { pem: 'x' }, write: true },
    { method: 'GET', route: '/site/subscriptions', write: false },
    {
      method: 'POST',
      route: '/site/subscriptions',
      body: { url: 'http://127.0.0.1:9/feeds/x/', expectSubject: 'CN=x' },
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

describe('site API: roles, trust, subscriptions, policy, gate', () => {
  let s: SiteHarness;
  before(async () => {
    s = await startSite({ now: FIXTURE_TIME });
  });
  after(async () => {
    assert.deepEqual(s.logs, []);
    await s.close();
  });

  test('no token: 401 on every site route and on the gate', async () => {
    for (const r of [...ROUTES, { method: 'GET', route: '/gate/alma-9', body: undefined }]) {
      await expectProblem(
        await s.call(r.method, r.route, { body: r.body }),
        401,
        'UNAUTHENTICATED',
      );
    }
  });

  test('endorser roles: 403 on every site route, but the gate answers', async () => {
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
    const token = await s.token('site-approver');
    for (const r of ROUTES) {
      const res = await s.call(r.method, r.route, { token, body: r.body });
      if (r.write && !r.approver) await expectProblem(res, 403, 'FORBIDDEN');
      // Past the role check: the targets do not exist.
      else if (r.approver) await expectProblem(res, 404, 'NOT_FOUND');
      else assert.notEqual(res.status, 403, `${r.method} ${r.route}`);
    }
  });

  test('trust: add a demo hierarchy as PEM, list it; JSON form; refusals', async () => {
    const admin = await s.token('admin');
    const h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: FIXTURE_TIME });
    const pem =
      derToPem(h.root.certificate, 'CERTIFICATE') +
      derToPem(h.intermediate.certificate, 'CERTIFICATE') +
      derToPem(h.crl, 'X509 CRL');
    let res = await s.call('POST', '/site/trust', {
      token: admin,
      body: pem,
      type: 'application/x-pem-file',
    });
    assert.equal(res.status, 200);
    const added = (await res.json()) as {
      anchors: string[];
      intermediates: string[];
      crls: string[];
    };
    assert.equal(added.anchors.length, 1);
    assert.equal(added.intermediates.length, 1);
    assert.equal(added.crls.length, 1);

    res = await s.call('GET', '/site/trust', { token: await s.token('auditor') });
    assert.equal(res.status, 200);
    const listing = (await res.json()) as {
      certificates: { kind: string; subject: string }[];
      crls: unknown[];
    };
    assert.deepEqual(listing.certificates.map((c) => c.kind).sort(), ['anchor', 'intermediate']);
    assert.ok(listing.certificates.some((c) => c.subject.includes('vmic Demo Root CA')));
    assert.equal(listing.crls.length, 1);

    // The same material again, as JSON: nothing new.
    res = await s.call('POST', '/site/trust', { token: admin, body: { pem } });
    assert.equal(res.status, 200);
    const again = (await res.json()) as { anchors: string[]; crls: string[]; unchanged: number };
    assert.deepEqual([again.anchors.length, again.crls.length, again.unchanged], [0, 0, 3]);

    res = await s.call('POST', '/site/trust', { token: admin, body: 'no pem here' });
    await expectProblem(res, 400, 'MALFORMED');
    res = await s.call('POST', '/site/trust', { token: admin, body: { pem, extra: 1 } });
    await expectProblem(res, 400, 'BAD_REQUEST');
    res = await s.call('POST', '/site/trust', { token: admin, body: { pem: 42 } });
    await expectProblem(res, 400, 'BAD_REQUEST');
    res = await s.call('POST', '/site/trust', {
      token: admin,
      body: pem,
      type: 'application/octet-stream',
    });
    await expectProblem(res, 400, 'BAD_REQUEST');
    res = await s.call('POST', '/site/trust', {
      token: admin,
      body: 'A'.repeat(1024 * 1024 + 1),
      type: 'application/x-pem-file',
    });
    await expectProblem(res, 413, 'TOO_LARGE');
    res = await s.call('POST', '/site/trust', {
      token: admin,
      body: derToPem(h.endorser.certificate, 'CERTIFICATE'),
      type: 'application/x-pem-file',
    });
    await expectProblem(res, 422, 'KEY_USAGE');
  });

  test('subscriptions: subscribe, list, get, disable, enable, delete', async () => {
    const admin = await s.token('admin');
    const body = {
      url: 'http://127.0.0.1:9/feeds/acme/',
      expectSubject: 'C=CH, O=Acme, CN=Acme Endorser',
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

  test('gate: an unknown image is a 200 with UNKNOWN_IMAGE; malformed references are 400', async () => {
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

  test('policy: read, set, unset; unknown keys and bad values refused', async () => {
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
});

describe('site API: import, images, approvals and the gate over a real feed', () => {
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
    s = await startSite({ now: FIXTURE_TIME });
  });
  after(async () => {
    assert.deepEqual(s.logs, []);
    await s.close();
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
      body: { url: feed.url, expectSubject: NAMES.leaf, expectIssuer: NAMES.intermediate },
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
    const release = s.holdRunLock('import');
    try {
      await expectProblem(await s.call('POST', '/site/import', { token: admin }), 409, 'CONFLICT');
    } finally {
      release();
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

describe('site API: fetch', () => {
  test('POST /site/fetch downloads and verifies; the gate then no longer says NOT_FETCHED', async () => {
    const s = await startSite({ now: FIXTURE_TIME });
    const server = await startImageServer();
    try {
      const img = randomImage(64 * 1024);
      server.serve('/alma.qcow2', img.bytes);
      const sub = await addSubscription(s.inst.store.db, 'local');
      await addSiteImage(s.inst.store.db, sub, {
        identifier: 'alma-9',
        sha256: img.sha256,
        byteSize: img.bytes.length,
        url: server.url('/alma.qcow2'),
      });
      const admin = await s.token('admin');
      const token = await s.token('auditor');
      let res = await s.call('GET', '/gate/alma-9', { token });
      assert.ok(codes((await res.json()) as Decision).includes('NOT_FETCHED'));

      await expectProblem(
        await s.call('POST', '/site/fetch', { token: admin, body: { subscription: 'nope' } }),
        404,
        'NOT_FOUND',
      );
      await expectProblem(
        await s.call('POST', '/site/fetch', { token: admin, body: { scope: 'all' } }),
        400,
        'BAD_REQUEST',
      );
      const release = s.holdRunLock('fetch');
      try {
        await expectProblem(await s.call('POST', '/site/fetch', { token: admin }), 409, 'CONFLICT');
      } finally {
        release();
      }

      res = await s.call('POST', '/site/fetch', { token: admin, body: { subscription: 'local' } });
      assert.equal(res.status, 200);
      const summary = (await res.json()) as {
        images: { identifier: string; outcome: string }[];
        totals: Record<string, number>;
      };
      assert.deepEqual(
        summary.images.map((i) => [i.identifier, i.outcome]),
        [['alma-9', 'fetched']],
      );
      assert.equal(summary.totals.fetched, 1);

      res = await s.call('GET', '/gate/alma-9', { token });
      const d = (await res.json()) as Decision;
      assert.ok(!codes(d).includes('NOT_FETCHED'));
      res = await s.call('GET', '/site/images', { token });
      const [listed] = ((await res.json()) as { images: { fetched: boolean }[] }).images;
      assert.equal(listed?.fetched, true);
      assert.deepEqual(s.logs, []);
    } finally {
      await server.close();
      await s.close();
    }
  });
});
