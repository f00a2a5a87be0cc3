import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { getCatalogVersion, publishCatalog, registerImageByUrl } from '../../catalog/index.ts';
import { buildDemoHierarchy } from '../../pki/index.ts';
import {
  addPublishedEndorser,
  demoEndorserIdentity,
} from '../../scripts/fixtures/published-endorser.ts';
import { startServer } from '../../server/index.ts';
import {
  DEFAULT_VERSION_CACHE_BYTES,
  setVersionCacheBytes,
} from '../../catalog/version-file-cache.ts';
import { problemOf, sha256, startHarness, type Harness } from './harness.ts';
import { readStored } from '../catalog/blobs/stored-objects.ts';

const FILES = {
  'catalog.p7m': ['application/pkcs7-mime', 'p7m'],
  'catalog.nq': ['application/n-quads; charset=utf-8', 'nquads'],
  'catalog.p7s': ['application/pkcs7-signature', 'p7s'],
  'catalog.ttl': ['text/turtle; charset=utf-8', 'turtle'],
  'catalog.jsonld': ['application/ld+json', 'jsonld'],
  'image.list': ['text/plain; charset=utf-8', 'image_list'],
} as const;

/** Feeds of versions whose files are in the blob store, and of versions stored inline before. */
describe('feeds from the blob store', () => {
  let h: Harness;
  const v1 = new Map<string, Buffer>();
  const row = (sequence: number) =>
    h.inst.store.db
      .selectFrom('catalog_versions')
      .selectAll()
      .where('sequence', '=', sequence)
      .executeTakeFirstOrThrow();

  before(async () => {
    h = await startHarness();
    for (let i = 0; i < 200; i++)
      await registerImageByUrl(h.inst, {
        endorser: 'cern',
        identifier: `img-${i}`,
        metadata: { title: `Image ${i}` },
        actor: 'test',
        url: `https://mirror.example/img-${i}.qcow2`,
        sha256: sha256(`img-${i}`),
        size: 1000 + i,
      });
    await publishCatalog(h.inst, { endorser: 'cern', actor: 'test' });
  });
  after(() => h.close());

  test('each file is streamed with its stored bytes, its SHA-256 as strong ETag, HEAD and 304', async () => {
    const r1 = await row(1);
    for (const [file, [type, column]] of Object.entries(FILES)) {
      const r = await fetch(`${h.url}/feeds/cern/1/${file}`);
      assert.equal(r.status, 200, file);
      assert.equal(r.headers.get('content-type'), type, file);
      assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      const body = Buffer.from(await r.arrayBuffer());
      v1.set(file, body);
      const stored = await readStored(h.inst.blobs, r1[`${column}_sha256`]!);
      assert.ok(body.equals(stored), file);
      assert.equal(r.headers.get('etag'), `"${sha256(body)}"`, file);
      assert.equal(r.headers.get('content-length'), String(body.length), file);
      const head = await fetch(`${h.url}/feeds/cern/${file}`, { method: 'HEAD' });
      assert.equal(head.headers.get('content-length'), String(body.length), file);
      assert.equal(head.headers.get('etag'), r.headers.get('etag'), file);
      assert.equal((await head.arrayBuffer()).byteLength, 0);
      const again = await fetch(`${h.url}/feeds/cern/${file}`, {
        headers: { 'if-none-match': `W/${r.headers.get('etag')!}, "other"` },
      });
      assert.equal(again.status, 304, file);
    }
    const files = await getCatalogVersion(h.inst, 'cern', 1);
    assert.equal(v1.get('catalog.nq')!.toString('utf8'), files.nquads);
    assert.ok(v1.get('catalog.p7m')!.equals(Buffer.from(files.p7m)));
  });

  test('a version stored inline before migration 0011 is served with the same bytes and headers', async () => {
    const r1 = await row(1);
    const files = await getCatalogVersion(h.inst, 'cern', 1);
    await h.inst.store.db
      .insertInto('catalog_versions')
      .values({
        endorser_id: r1.endorser_id,
        sequence: 2,
        issued_at: r1.issued_at,
        expires_at: r1.expires_at,
        image_count: r1.image_count,
        nquads: files.nquads,
        turtle: files.turtle,
        jsonld: files.jsonld,
        p7m: files.p7m,
        p7s: files.p7s,
        image_list: files.imageList ?? null,
        content_sha256: r1.content_sha256,
      })
      .execute();
    for (const [file, [type]] of Object.entries(FILES)) {
      const r = await fetch(`${h.url}/feeds/cern/${file}`);
      assert.equal(r.status, 200, file);
      assert.equal(r.headers.get('content-type'), type, file);
      assert.equal(r.headers.get('cache-control'), 'public, max-age=60, must-revalidate');
      assert.ok(Buffer.from(await r.arrayBuffer()).equals(v1.get(file)!), file);
      assert.equal(r.headers.get('etag'), `"${sha256(v1.get(file)!)}"`, file);
    }
    const neg = await fetch(`${h.url}/feeds/cern/catalog`, { headers: { accept: 'text/turtle' } });
    assert.equal(neg.headers.get('content-location'), 'http://vmic.test/feeds/cern/2/catalog.ttl');
    assert.ok(Buffer.from(await neg.arrayBuffer()).equals(v1.get('catalog.ttl')!));
  });

  test('a client that stops reading mid-download is not a server error', async () => {
    await addPublishedEndorser(h.inst, {
      name: 'large',
      identity: await demoEndorserIdentity(
        await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() }),
      ),
      images: { rows: 20_000 },
      actor: 'test',
    });
    for (const file of ['catalog.nq', 'catalog.p7m']) {
      const abort = new AbortController();
      const r = await fetch(`${h.url}/feeds/large/${file}`, { signal: abort.signal });
      assert.equal(r.status, 200);
      assert.ok(Number(r.headers.get('content-length')) > 20_000_000, file);
      await r.body!.getReader().read();
      abort.abort();
    }
    // The server notices the closed connection; the next answer shows it still serves.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await fetch(`${h.url}/feeds/large/`)).status, 200);
    assert.deepEqual(h.logs, []);
  });

  test('a client that hangs up as soon as it has every byte is logged with 200, not 499', async () => {
    const lines: string[] = [];
    const server = await startServer(
      h.inst,
      { host: '127.0.0.1', port: 0 },
      { logStream: (l) => lines.push(l), log: () => {} },
    );
    try {
      const sizes = new Set<number>();
      for (let i = 0; i < 40; i++)
        for (const file of ['catalog.p7m', 'catalog.nq'])
          sizes.add(await getThenHangUp(`${server.url}/feeds/cern/1/${file}`));
      assert.equal(sizes.size, 2, 'every download was complete');
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await server.close();
    }
    const statuses = lines
      .map((l) => JSON.parse(l) as { path?: string; status?: number })
      .filter((l) => l.path?.startsWith('/feeds/cern/1/'))
      .map((l) => l.status);
    assert.equal(statuses.length, 80);
    assert.deepEqual([...new Set(statuses)], [200]);
  });

  test('a stored file gone from the disk is a 500 problem, logged, never a partial body', async () => {
    const r1 = await row(1);
    await h.inst.blobs.remove(r1.turtle_sha256!);
    // As a replica that has not read the file since it started: this one keeps the bytes it
    // served above in memory (catalog/version-file-cache.ts) and would still serve them.
    setVersionCacheBytes(h.inst, DEFAULT_VERSION_CACHE_BYTES);
    const r = await fetch(`${h.url}/feeds/cern/1/catalog.ttl`);
    assert.equal(r.status, 500);
    assert.equal((await problemOf(r)).code, 'INTERNAL');
    assert.equal(h.logs.length, 1);
    assert.match(h.logs[0]!, /is missing/);
  });
});

/** GET with a connection of its own, closed the moment Content-Length bytes are in (as curl does). */
function getThenHangUp(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      const want = Number(res.headers['content-length']);
      let got = 0;
      res.on('data', (b: Buffer) => {
        got += b.length;
        if (got === want) {
          res.socket.destroy();
          resolve(got);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
