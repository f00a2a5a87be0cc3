import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { opensslCmsVerify } from '../helpers/openssl/index.ts';
import { bearer, problemOf, sha256, startHarness, PUBLIC_URL, type Harness } from './harness.ts';

const FILES = {
  'catalog.p7m': 'application/pkcs7-mime',
  'catalog.nq': 'application/n-quads; charset=utf-8',
  'catalog.p7s': 'application/pkcs7-signature',
  'catalog.ttl': 'text/turtle; charset=utf-8',
  'catalog.jsonld': 'application/ld+json',
} as const;

describe('feeds', () => {
  let h: Harness;
  let admin: string;
  const v1 = new Map<string, Buffer>();

  async function addImageAndPublish(title: string): Promise<number> {
    let r = await fetch(`${h.url}/api/v1/endorsers/cern/images`, {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify({
        url: `https://images.example/${title}.qcow2`,
        sha256: sha256(title),
        size: 1234,
        title,
      }),
    });
    assert.equal(r.status, 201);
    r = await fetch(`${h.url}/api/v1/endorsers/cern/publish`, {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify({ expiresInSeconds: 3600 }),
    });
    assert.equal(r.status, 201);
    const version = (await r.json()) as { sequence: number };
    assert.equal(
      r.headers.get('location'),
      `${PUBLIC_URL}/feeds/cern/${version.sequence}/catalog.p7m`,
    );
    return version.sequence;
  }

  before(async () => {
    h = await startHarness();
    admin = await h.token('admin');
  });
  after(async () => {
    assert.deepEqual(h.logs, []);
    await h.close();
  });

  test('healthz answers without authentication, with the security headers', async () => {
    const r = await fetch(`${h.url}/healthz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ok' });
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    assert.equal(
      r.headers.get('content-security-policy'),
      "default-src 'none'; frame-ancestors 'none'",
    );
    assert.equal(r.headers.get('x-powered-by'), null);
  });

  test('before any publish: the index has no latest version and the files are 404', async () => {
    const idx = await fetch(`${h.url}/feeds/cern/`);
    assert.equal(idx.status, 200);
    assert.equal(((await idx.json()) as { latest: unknown }).latest, null);
    const r = await fetch(`${h.url}/feeds/cern/catalog.p7m`);
    assert.equal(r.status, 404);
    assert.equal((await problemOf(r)).code, 'NOT_FOUND');
  });

  test('every latest file after publish: type, strong ETag, revalidating cache, 304', async () => {
    const seq = await addImageAndPublish('ubuntu');
    assert.equal(seq, 1);
    for (const [file, type] of Object.entries(FILES)) {
      const r = await fetch(`${h.url}/feeds/cern/${file}`);
      assert.equal(r.status, 200, file);
      assert.equal(r.headers.get('content-type'), type);
      const body = Buffer.from(await r.arrayBuffer());
      v1.set(file, body);
      assert.equal(r.headers.get('etag'), `"${sha256(body)}"`);
      assert.equal(r.headers.get('cache-control'), 'public, max-age=60, must-revalidate');
      const again = await fetch(`${h.url}/feeds/cern/${file}`, {
        headers: { 'if-none-match': r.headers.get('etag')! },
      });
      assert.equal(again.status, 304);
      assert.equal((await again.arrayBuffer()).byteLength, 0);
      const other = await fetch(`${h.url}/feeds/cern/${file}`, {
        headers: { 'if-none-match': '"nope"' },
      });
      assert.equal(other.status, 200);
      await other.arrayBuffer();
    }
    assert.match(
      v1.get('catalog.nq')!.toString('utf8'),
      /<https:\/\/images\.example\/ubuntu\.qcow2>/,
    );
  });

  test('what the feed serves verifies with stock openssl (attached and detached)', () => {
    const dir = fs.mkdtempSync(path.join(h.dir, 'verify-'));
    for (const f of ['catalog.p7m', 'catalog.p7s', 'catalog.nq'])
      fs.writeFileSync(path.join(dir, f), v1.get(f)!);
    const anchor = path.join(h.dir, 'test-endorser.pem');
    // Attached: prints exactly the content; detached: over catalog.nq.
    const attached = opensslCmsVerify(path.join(dir, 'catalog.p7m'), anchor);
    assert.ok(attached.ok, attached.stderr);
    assert.deepEqual(attached.stdout, v1.get('catalog.nq'));
    const detached = opensslCmsVerify(
      path.join(dir, 'catalog.p7s'),
      anchor,
      path.join(dir, 'catalog.nq'),
    );
    assert.ok(detached.ok, detached.stderr);
  });

  test('HEAD gives the headers of GET without a body', async () => {
    const r = await fetch(`${h.url}/feeds/cern/catalog.p7m`, { method: 'HEAD' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/pkcs7-mime');
    assert.equal(r.headers.get('content-length'), String(v1.get('catalog.p7m')!.length));
    assert.equal(r.headers.get('etag'), `"${sha256(v1.get('catalog.p7m')!)}"`);
    assert.equal((await r.arrayBuffer()).byteLength, 0);
  });

  test('content negotiation at /catalog, with q-values, Vary and 406', async () => {
    const cases: [string, keyof typeof FILES][] = [
      ['application/pkcs7-mime', 'catalog.p7m'],
      ['application/n-quads', 'catalog.nq'],
      ['application/ld+json', 'catalog.jsonld'],
      ['text/turtle', 'catalog.ttl'],
      ['text/turtle;q=0.5, application/ld+json;q=0.9', 'catalog.jsonld'],
      ['application/pkcs7-mime;q=1, text/turtle;q=0.1', 'catalog.p7m'],
      ['*/*', 'catalog.ttl'],
    ];
    for (const [accept, file] of cases) {
      const r = await fetch(`${h.url}/feeds/cern/catalog`, { headers: { accept } });
      assert.equal(r.status, 200, accept);
      assert.equal(r.headers.get('content-type'), FILES[file], accept);
      assert.match(r.headers.get('vary') ?? '', /Accept/);
      assert.equal(r.headers.get('content-location'), `${PUBLIC_URL}/feeds/cern/1/${file}`);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), v1.get(file), accept);
    }
    const none = await fetch(`${h.url}/feeds/cern/catalog`, { headers: { accept: 'text/html' } });
    assert.equal(none.status, 406);
    assert.equal((await problemOf(none)).code, 'NOT_ACCEPTABLE');
    assert.match(none.headers.get('vary') ?? '', /Accept/);
  });

  test('publishing again: latest moves, both versions served, old bytes unchanged and immutable', async () => {
    const seq = await addImageAndPublish('debian');
    assert.equal(seq, 2);
    const latest = Buffer.from(await (await fetch(`${h.url}/feeds/cern/catalog.nq`)).arrayBuffer());
    assert.notDeepEqual(latest, v1.get('catalog.nq'));
    assert.match(latest.toString('utf8'), /debian/);
    for (const [file, type] of Object.entries(FILES)) {
      const r = await fetch(`${h.url}/feeds/cern/1/${file}`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), type);
      assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), v1.get(file), file);
      const r2 = await fetch(`${h.url}/feeds/cern/2/${file}`);
      assert.equal(r2.status, 200);
      await r2.arrayBuffer();
    }
    const neg = await fetch(`${h.url}/feeds/cern/1/catalog`, {
      headers: { accept: 'application/n-quads' },
    });
    assert.deepEqual(Buffer.from(await neg.arrayBuffer()), v1.get('catalog.nq'));
    assert.equal(neg.headers.get('cache-control'), 'public, max-age=31536000, immutable');

    const idx = (await (await fetch(`${h.url}/feeds/cern/`)).json()) as {
      latest: { sequence: number; files: Record<string, string> };
      versions: { sequence: number }[];
    };
    assert.equal(idx.latest.sequence, 2);
    assert.equal(idx.latest.files.p7m, `${PUBLIC_URL}/feeds/cern/catalog.p7m`);
    assert.deepEqual(
      idx.versions.map((v) => v.sequence),
      [2, 1],
    );

    const hist = await fetch(`${h.url}/api/v1/endorsers/cern/catalogs`, { headers: bearer(admin) });
    assert.deepEqual(
      ((await hist.json()) as { versions: { sequence: number }[] }).versions.map((v) => v.sequence),
      [2, 1],
    );
  });

  test('unknown endorser, sequence or file: 404 problem; malformed parameters: 400', async () => {
    for (const p of [
      '/feeds/nobody/catalog.p7m',
      '/feeds/nobody/',
      '/feeds/cern/9/catalog.p7m',
      '/feeds/cern/catalog.exe',
      '/feeds/cern/1/catalog.zip',
    ]) {
      const r = await fetch(`${h.url}${p}`);
      assert.equal(r.status, 404, p);
      assert.equal((await problemOf(r)).code, 'NOT_FOUND', p);
      assert.equal(r.headers.get('cache-control'), 'no-store');
    }
    for (const p of [
      '/feeds/CERN/catalog.p7m',
      '/feeds/cern/0/catalog.p7m',
      '/feeds/cern/01/catalog.nq',
      '/feeds/cern/-1/catalog.nq',
      '/feeds/cern/1e3/catalog.nq',
      '/feeds/..%2f..%2fetc/catalog.nq',
    ]) {
      const r = await fetch(`${h.url}${p}`);
      assert.equal(r.status, 400, p);
      assert.equal((await problemOf(r)).code, 'BAD_REQUEST', p);
    }
  });
});
