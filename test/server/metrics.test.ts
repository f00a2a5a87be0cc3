/**
 * /metrics over a real site: a real feed server, real signed catalogs, real SQLite, the
 * real HTTP server on loopback, and `promtool` judging the exposition format.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { derToPem } from '../../pki/index.ts';
import { FIXTURE_TIME, NAMES, crlOf, scenario, type Scenario } from '../fixtures/pki-fixtures.ts';
import { signedCatalog, startFeedServer } from '../catalog/site/helpers/signed-feed.ts';
import { parseCidrList } from '../../server/index.ts';
import { bearer } from './harness.ts';
import { parsed, promtool, sample, startObserved, type ObservedServer } from './metrics-helpers.ts';

const DAY = 86400_000;
const at = (days: number) => new Date(FIXTURE_TIME.getTime() + days * DAY);

describe('/metrics on a site with a real feed', () => {
  let s: ObservedServer;
  let pki: Scenario;
  let feed: Awaited<ReturnType<typeof startFeedServer>>;
  let admin: string;
  const catalog = (sequence: number) =>
    signedCatalog({
      signer: pki.leaf,
      chain: [pki.intermediate.certificate],
      sequence,
      issued: at(-1),
      expires: at(10),
      images: [{ identifier: 'alma-9', sha256: 'a1'.repeat(32), byteSize: 1000 }],
    });
  const api = (method: string, path: string, body?: unknown, token = admin) =>
    fetch(`${s.url}/api/v1${path}`, {
      method,
      headers: {
        ...bearer(token),
        ...(typeof body === 'string' ? { 'content-type': 'text/plain' } : {}),
        ...(body !== undefined && typeof body !== 'string'
          ? { 'content-type': 'application/json' }
          : {}),
      },
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });

  before(async () => {
    pki = await scenario();
    feed = await startFeedServer();
    s = await startObserved({ now: FIXTURE_TIME });
    admin = await s.token('admin');
    const pem =
      [pki.root.certificate, pki.intermediate.certificate]
        .map((c) => derToPem(c, 'CERTIFICATE'))
        .join('') +
      [await crlOf(pki.intermediate), await crlOf(pki.root)]
        .map((c) => derToPem(c, 'X509 CRL'))
        .join('');
    assert.equal((await api('POST', '/site/trust', pem)).status, 200);
    const res = await api('POST', '/site/subscriptions', {
      url: feed.url,
      expectSubject: NAMES.leaf,
      expectIssuer: NAMES.intermediate,
      log: 'off',
    });
    assert.equal(res.status, 201);
  });
  after(async () => {
    assert.deepEqual(s.errors, [], 'no error was logged');
    await s.close();
    await feed.stop();
  });

  test('a tampered catalog makes the SIGNATURE_INVALID import count go up, and is logged with its code', async () => {
    const series = 'vmic_import_runs_total{subscription="fx",result="SIGNATURE_INVALID"}';
    const before = sample(await s.metrics(), series) ?? 0;
    const bytes = Buffer.from(await catalog(1));
    bytes[bytes.indexOf(Buffer.from('Fixture catalog'))]! ^= 0x20;
    feed.serve(bytes);
    const res = await api('POST', '/site/subscriptions/fx/import');
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { code?: string }).code, 'SIGNATURE_INVALID');
    const requestId = res.headers.get('x-request-id');

    const text = await s.metrics();
    assert.equal(sample(text, series), before + 1);
    assert.equal(
      sample(
        text,
        'vmic_subscription_last_import_refused{subscription="fx",code="SIGNATURE_INVALID"}',
      ),
      1,
    );
    // The refusal's line names the code, and the request it happened in.
    const refusal = parsed(s.lines).find((l) => l.event === 'import.refused');
    assert.equal(refusal?.code, 'SIGNATURE_INVALID');
    assert.equal(refusal?.subscription, 'fx');
    assert.equal(refusal?.requestId, requestId);
  });

  test('an applied catalog: freshness gauges from the database, the gate gauge and counter agree with the gate', async () => {
    feed.serve(await catalog(1));
    const res = await api('POST', '/site/subscriptions/fx/import');
    assert.equal(((await res.json()) as { status: string }).status, 'applied');
    let text = await s.metrics();
    assert.equal(sample(text, 'vmic_import_runs_total{subscription="fx",result="applied"}'), 1);
    // The fixed clock: issued a day ago, expires in ten days, verified just now.
    assert.equal(sample(text, 'vmic_catalog_issued_age_seconds{subscription="fx"}'), 86400);
    assert.equal(sample(text, 'vmic_catalog_expires_in_seconds{subscription="fx"}'), 10 * 86400);
    assert.equal(sample(text, 'vmic_catalog_last_verified_age_seconds{subscription="fx"}'), 0);
    assert.equal(sample(text, 'vmic_gate_images{state="not_deployable"}'), 1);
    assert.equal(sample(text, 'vmic_gate_image_reasons{reason="NOT_APPROVED"}'), 1);
    assert.equal(sample(text, 'vmic_gate_image_reasons{reason="NOT_FETCHED"}'), 1);

    const gate = await api('GET', '/gate/alma-9', undefined, await s.token('auditor'));
    assert.equal(gate.status, 200);
    text = await s.metrics();
    assert.equal(sample(text, 'vmic_gate_decisions_total{result="not_deployable"}'), 1);
    assert.equal(sample(text, 'vmic_gate_refusal_reasons_total{reason="NOT_APPROVED"}'), 1);
    const refused = parsed(s.lines).find((l) => l.event === 'gate.refused');
    assert.deepEqual(refused?.codes, ['NOT_APPROVED', 'NOT_FETCHED']);
    assert.equal(refused?.requestId, gate.headers.get('x-request-id'));
  });

  test('promtool check metrics accepts what /metrics serves', async () => {
    const text = await s.metrics();
    // Exit 0 means no parse error and no lint problem (promtool exits 3 for lint findings,
    // e.g. a gauge named *_total, and 1 for a malformed exposition); the server drops the
    // few prom-client default metrics that fail the lint, so nothing is tolerated here.
    const r = promtool(['check', 'metrics'], text);
    assert.equal(r.status, 0, r.output);
    assert.match(text, /^# TYPE vmic_import_runs_total counter$/m);
    assert.match(text, /^# TYPE vmic_http_request_duration_seconds histogram$/m);
    assert.match(text, /^process_cpu_seconds_total /m);
  });

  test('HTTP requests are labelled with the route pattern, never the raw path', async () => {
    const token = await s.token('auditor');
    const odd = 'zz-attacker-chosen-42';
    assert.equal((await api('GET', `/gate/${odd}`, undefined, token)).status, 200);
    assert.equal((await fetch(`${s.url}/${odd}/x`)).status, 404);
    assert.equal(
      (await fetch(`${s.url}/API/V1/gate/${odd}`, { headers: bearer(token) })).status,
      200,
    );
    const text = await s.metrics();
    assert.doesNotMatch(text, new RegExp(odd));
    assert.ok(
      (sample(
        text,
        'vmic_http_requests_total{method="GET",route="/api/v1/gate/:image",status="200"}',
      ) ?? 0) >= 3,
    );
    assert.ok(
      (sample(text, 'vmic_http_requests_total{method="GET",route="(unmatched)",status="404"}') ??
        0) >= 1,
    );
  });
});

describe('/metrics access', () => {
  test('closed by default: 401 without a token, 403 for a role other than metrics or admin', async () => {
    const s = await startObserved();
    try {
      let res = await fetch(`${s.url}/metrics`);
      assert.equal(res.status, 401);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.equal(((await res.json()) as { code: string }).code, 'UNAUTHENTICATED');
      res = await fetch(`${s.url}/metrics`, { headers: bearer(await s.token('auditor')) });
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { code: string }).code, 'FORBIDDEN');
      res = await fetch(`${s.url}/metrics`, { headers: bearer('not.a.token') });
      assert.equal(res.status, 401);
      res = await fetch(`${s.url}/metrics`, { headers: bearer(await s.token('admin')) });
      assert.equal(res.status, 200);
      // The metrics token opens /metrics and nothing else, not even what any principal may ask.
      const metricsToken = await s.token('metrics');
      assert.equal(
        (await fetch(`${s.url}/metrics`, { headers: bearer(metricsToken) })).status,
        200,
      );
      res = await fetch(`${s.url}/api/v1/gate/alma-9`, { headers: bearer(metricsToken) });
      assert.equal(res.status, 403);
      res = await fetch(`${s.url}/api/v1/site/images`, { headers: bearer(metricsToken) });
      assert.equal(res.status, 403);
      assert.deepEqual(s.errors, []);
    } finally {
      await s.close();
    }
  });

  test('an allow-list admits only its addresses, without a token unless one is required too', async () => {
    const outside = await startObserved({ app: { metrics: { allow: ['10.0.0.0/8', '::2/128'] } } });
    const inside = await startObserved({
      app: { metrics: { allow: ['127.0.0.1/32', '::1/128'] } },
    });
    const both = await startObserved({
      app: { metrics: { allow: ['127.0.0.0/8'], requireToken: true } },
    });
    try {
      // Outside the list, even the admin's token does not help.
      let res = await fetch(`${outside.url}/metrics`, {
        headers: bearer(await outside.token('admin')),
      });
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { code: string }).code, 'FORBIDDEN');
      res = await fetch(`${inside.url}/metrics`);
      assert.equal(res.status, 200);
      assert.equal(promtool(['check', 'metrics'], await res.text()).status, 0);
      res = await fetch(`${both.url}/metrics`);
      assert.equal(res.status, 401);
      res = await fetch(`${both.url}/metrics`, { headers: bearer(await both.token('metrics')) });
      assert.equal(res.status, 200);
    } finally {
      await outside.close();
      await inside.close();
      await both.close();
    }
  });

  test('the allow-list takes CIDR blocks and bare addresses, and refuses anything else', () => {
    assert.deepEqual(parseCidrList(' 127.0.0.1/32, ::1/128,10.0.0.1 '), [
      '127.0.0.1/32',
      '::1/128',
      '10.0.0.1',
    ]);
    for (const bad of ['10.0.0.0/33', '::1/129', 'localhost', '1.2.3.4/8/1', '1.2.3.4/x', ' , '])
      assert.throws(() => parseCidrList(bad), /CIDR|empty/, bad);
  });
});
