import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createApp } from '../../server/app.ts';
import { appRoutes, openApiPathToExpress, shapeOf } from './fuzz/routes.ts';
import { bearer, problemOf, startHarness, type Harness } from './harness.ts';

describe('JSON API: authentication, authorisation, problems, OpenAPI', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const publish = (token?: string) =>
    fetch(`${h.url}/api/v1/endorsers/cern/publish`, {
      method: 'POST',
      ...(token ? { headers: bearer(token) } : {}),
    });

  test('no token: 401 problem with a Bearer challenge', async () => {
    for (const r of [await fetch(`${h.url}/api/v1/endorsers`), await publish()]) {
      assert.equal(r.status, 401);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
      const p = await problemOf(r);
      assert.equal(p.code, 'UNAUTHENTICATED');
      assert.equal(p.status, 401);
      assert.equal(p.title, 'Unauthorized');
      assert.equal(typeof p.type, 'string');
      assert.equal(typeof p.detail, 'string');
      assert.equal(p.requestId, r.headers.get('x-request-id'));
    }
  });

  test('malformed, forged and expired tokens: 401', async () => {
    for (const auth of ['Basic YWRtaW46YWRtaW4=', 'Bearer', 'Bearer not-a-jwt', 'Bearer a.b.c']) {
      const r = await fetch(`${h.url}/api/v1/endorsers`, { headers: { authorization: auth } });
      assert.equal(r.status, 401, auth);
      assert.equal((await problemOf(r)).code, 'UNAUTHENTICATED');
    }
    const token = await h.token('admin', 1);
    assert.equal(
      (await fetch(`${h.url}/api/v1/endorsers`, { headers: bearer(token) })).status,
      200,
    );
    h.advance(5);
    const r = await fetch(`${h.url}/api/v1/endorsers`, { headers: bearer(token) });
    assert.equal(r.status, 401);
    assert.match(String((await problemOf(r)).detail), /expired/);
  });

  test('roles: wrong endorser 403, auditor 403 on publish, own endorser and admin allowed', async () => {
    const other = await h.token('endorser:other');
    let r = await publish(other);
    assert.equal(r.status, 403);
    assert.equal((await problemOf(r)).code, 'FORBIDDEN');
    r = await fetch(`${h.url}/api/v1/endorsers/cern/images`, {
      method: 'POST',
      headers: { ...bearer(other), 'content-type': 'application/json' },
      body: JSON.stringify({
        url: 'https://x.example/a',
        sha256: 'a'.repeat(64),
        size: 1,
        title: 'a',
      }),
    });
    assert.equal(r.status, 403);
    const auditor = await h.token('auditor');
    r = await publish(auditor);
    assert.equal(r.status, 403);
    assert.equal((await problemOf(r)).code, 'FORBIDDEN');
    r = await fetch(`${h.url}/api/v1/endorsers/cern/catalogs`, { headers: bearer(auditor) });
    assert.equal(r.status, 200);
    r = await publish(await h.token('endorser:cern'));
    assert.equal(r.status, 201);
    const v = (await r.json()) as { sequence: number };
    assert.equal(v.sequence, 1);
    r = await publish(await h.token('admin'));
    assert.equal(r.status, 201);
  });

  test('the audit actor is the principal', async () => {
    const rows = await h.inst.store.db
      .selectFrom('audit_log')
      .select(['actor', 'action'])
      .where('action', '=', 'catalog.published')
      .execute();
    assert.ok(rows.length >= 1);
    for (const row of rows) assert.match(row.actor, /^token:[0-9a-f-]{36}$/);
  });

  test('endorsers: certificates, never key material', async () => {
    const token = await h.token('site-approver');
    const r = await fetch(`${h.url}/api/v1/endorsers`, { headers: bearer(token) });
    const text = await r.text();
    assert.equal(r.status, 200);
    assert.doesNotMatch(text, /PRIVATE KEY|sealed/i);
    const body = JSON.parse(text) as { endorsers: { name: string; certificatePem: string }[] };
    assert.deepEqual(
      body.endorsers.map((e) => e.name),
      ['cern'],
    );
    assert.match(body.endorsers[0]!.certificatePem, /BEGIN CERTIFICATE/);
    const one = await fetch(`${h.url}/api/v1/endorsers/cern`, { headers: bearer(token) });
    assert.doesNotMatch(await one.text(), /PRIVATE KEY|sealed/i);
    const missing = await fetch(`${h.url}/api/v1/endorsers/nobody`, { headers: bearer(token) });
    assert.equal(missing.status, 404);
    assert.equal((await problemOf(missing)).code, 'NOT_FOUND');
  });

  test('problem bodies: unknown routes, bad JSON, oversize JSON, bad publish input', async () => {
    const admin = await h.token('admin');
    let r = await fetch(`${h.url}/no/such/route`);
    assert.equal(r.status, 404);
    assert.equal((await problemOf(r)).code, 'NOT_FOUND');
    r = await fetch(`${h.url}/api/v1/nothing`, { headers: bearer(admin) });
    assert.equal(r.status, 404);
    await problemOf(r);
    const json = { ...bearer(admin), 'content-type': 'application/json' };
    r = await fetch(`${h.url}/api/v1/endorsers/cern/publish`, {
      method: 'POST',
      headers: json,
      body: '[1,',
    });
    assert.equal(r.status, 400);
    assert.equal((await problemOf(r)).code, 'BAD_REQUEST');
    r = await fetch(`${h.url}/api/v1/endorsers/cern/publish`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        expiresInSeconds: 1,
        pad: 'x'.repeat(h.inst.config.limits.jsonBodyBytes),
      }),
    });
    assert.equal(r.status, 413);
    assert.equal((await problemOf(r)).code, 'TOO_LARGE');
    r = await fetch(`${h.url}/api/v1/endorsers/cern/publish`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ expiresInSeconds: 1 }),
    });
    assert.equal(r.status, 400);
    const p = await problemOf(r);
    assert.deepEqual(Object.keys(p).sort(), [
      'code',
      'detail',
      'requestId',
      'status',
      'title',
      'type',
    ]);
    r = await fetch(`${h.url}/api/v1/endorsers/Bad_Name/images`, { headers: bearer(admin) });
    assert.equal(r.status, 400);
    assert.deepEqual(h.logs, []);
  });

  test('openapi.json is public, a valid OpenAPI 3.1 document, and has every registered route', async () => {
    const r = await fetch(`${h.url}/api/v1/openapi.json`);
    assert.equal(r.status, 200);
    const doc = (await r.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    assert.equal(doc.openapi, '3.1.0');
    // Checked against the OpenAPI 3.1 schemas by a validator library, $refs included.
    const result = await new Validator().validate(doc);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 1)?.slice(0, 2000));
    // Every route the app registers under /api/v1, and the public feeds, blobs and health
    // check, is in the document with its method.
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([p, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${openApiPathToExpress(p)}`),
      ),
    );
    const shapes = new Set(
      [...documented].map((k) => shapeOf(...(k.split(' ') as [string, string]))),
    );
    const routes = appRoutes(createApp(h.inst, { log: () => {} })).filter((rt) =>
      ['/api/v1', '/feeds', '/blobs', '/healthz'].some((p) => rt.path.startsWith(p)),
    );
    assert.ok(routes.length > 30, `${routes.length} routes`);
    const missing = routes
      .filter((rt) => rt.path.startsWith('/api/v1') || rt.path === '/healthz')
      .filter((rt) => !documented.has(`${rt.method} ${rt.path}`))
      .map((rt) => `${rt.method} ${rt.path}`);
    assert.deepEqual(missing, [], 'registered but not documented');
    // Feeds and blobs route on `:file`, so each documented file path fits a registered shape.
    for (const k of documented) {
      const [m, p] = k.split(' ') as [string, string];
      if (p.startsWith('/api/v1')) continue;
      const fits = routes.some(
        (rt) =>
          rt.method === m &&
          rt.path.split('/').length === p.split('/').length &&
          rt.path.split('/').every((seg, i) => seg.startsWith(':') || seg === p.split('/')[i]),
      );
      assert.ok(fits || shapes.has(shapeOf(m, p)), `${k} is documented but not routed`);
    }
    for (const p of ['/api/v1/transfers', '/api/v1/site/identity', '/api/v1/migrations'])
      assert.ok(doc.paths[p], p);
  });

  test('bad input is a BAD_REQUEST problem naming the field by its JSON pointer', async () => {
    const admin = await h.token('admin');
    let r = await fetch(`${h.url}/api/v1/endorsers/cern/images`, {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify({
        url: 'https://example.org/a.img',
        sha256: 'a'.repeat(64),
        size: 'big',
      }),
    });
    assert.equal(r.status, 400);
    let p = await problemOf(r);
    assert.equal(p.code, 'BAD_REQUEST');
    assert.equal(p.rule, '/body/size');
    r = await fetch(`${h.url}/api/v1/endorsers/cern/images?status=gone`, {
      headers: bearer(admin),
    });
    p = await problemOf(r);
    assert.equal(r.status, 400);
    assert.equal(p.rule, '/query/status');
    r = await fetch(`${h.url}/api/v1/endorsers/cern/images/-bad`, { headers: bearer(admin) });
    p = await problemOf(r);
    assert.equal(r.status, 400);
    assert.equal(p.rule, '/params/identifier');
  });
});

describe('internal errors', () => {
  test('a 500 says nothing about internals and is logged under its request id', async () => {
    const h = await startHarness();
    try {
      // A real failure below the HTTP layer: the table a feed reads from is gone.
      await h.inst.store.db.schema.dropTable('catalog_versions').execute();
      const r = await fetch(`${h.url}/feeds/cern/catalog.p7m`);
      assert.equal(r.status, 500);
      const text = await r.text();
      assert.doesNotMatch(text, /catalog_versions|sqlite|stack|at /i);
      const p = JSON.parse(text) as Record<string, unknown>;
      assert.equal(p.code, 'INTERNAL');
      assert.equal(p.requestId, r.headers.get('x-request-id'));
      assert.equal(h.logs.length, 1);
      assert.match(
        h.logs[0]!,
        new RegExp(`request ${String(p.requestId)} failed: .*catalog_versions`),
      );
    } finally {
      await h.close();
    }
  });
});
