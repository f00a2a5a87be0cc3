import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { fetchImages, type FetchSummary } from '../../../catalog/site/fetch-images.ts';
import { ImageCache, rehashCachedImage } from '../../../catalog/site/image-cache.ts';
import { verifyAuditChain } from '../../../catalog/audit/audit-log.ts';
import type { Instance } from '../../../catalog/instance.ts';
import { randomImage, sha256, startImageServer, type ImageServer } from './helpers/image-server.ts';
import { addApproval, addSiteImage, addSubscription } from './helpers/site-rows.ts';
import { setPolicy } from '../../../catalog/site/policy.ts';
import type { AddressInfo } from 'node:net';
import { BlobStore } from '../../../catalog/blobs/blob-store.ts';
import { appendToStored, readQuarantined, readStored } from '../blobs/stored-objects.ts';

const MiB = 1024 * 1024;

async function withSite(
  fn: (ctx: { inst: Instance; server: ImageServer; cache: ImageCache }) => Promise<void>,
): Promise<void> {
  const { inst, cleanup } = await tempInstance();
  const server = await startImageServer();
  try {
    await fn({ inst, server, cache: ImageCache.of(inst) });
  } finally {
    await server.close();
    await cleanup();
  }
}

function byIdentifier(summary: FetchSummary, identifier: string) {
  const found = summary.images.find((i) => i.identifier === identifier);
  assert.ok(found, `no result for ${identifier}`);
  return found;
}

async function cacheEntry(inst: Instance, hash: string) {
  return inst.store.db
    .selectFrom('cache_entries')
    .selectAll()
    .where('sha256', '=', hash)
    .executeTakeFirst();
}

async function auditActions(inst: Instance): Promise<string[]> {
  const rows = await inst.store.db
    .selectFrom('audit_log')
    .select('action')
    .orderBy('seq')
    .execute();
  return rows.map((r) => r.action);
}

test('fetches endorsed images into the cache, verified; a second run makes no request', async () => {
  await withSite(async ({ inst, server, cache }) => {
    const a = randomImage(3 * MiB + 11);
    const b = randomImage(2 * MiB);
    server.serve('/a.qcow2', a.bytes);
    server.serve('/b.raw', b.bytes);
    const sub = await addSubscription(inst.store.db, 'cern');
    await addSiteImage(inst.store.db, sub, {
      identifier: 'alma-9',
      sha256: a.sha256,
      byteSize: a.bytes.length,
      url: server.url('/a.qcow2'),
    });
    await addSiteImage(inst.store.db, sub, {
      identifier: 'debian-12',
      sha256: b.sha256,
      byteSize: b.bytes.length,
      url: server.url('/b.raw'),
    });

    const progress: number[] = [];
    const first = await fetchImages(inst, {
      actor: 'test',
      onProgress: (e) => progress.push(e.bytes),
    });
    assert.equal(byIdentifier(first, 'alma-9').outcome, 'fetched');
    assert.equal(byIdentifier(first, 'debian-12').outcome, 'fetched');
    assert.deepEqual(first.totals, {
      fetched: 2,
      cached: 0,
      resumed: 0,
      failed: 0,
      quarantined: 0,
    });
    assert.ok(progress.length > 0);

    for (const img of [a, b]) {
      assert.equal(sha256(await readStored(cache.store, img.sha256)), img.sha256);
      // On disk, the layout of earlier versions (existing caches keep working).
      if (cache.store instanceof BlobStore)
        assert.equal(
          cache.store.pathOf(img.sha256),
          path.join(inst.config.dataDir, 'cache', 'sha256', img.sha256.slice(0, 2), img.sha256),
        );
      const entry = await cacheEntry(inst, img.sha256);
      assert.equal(entry?.state, 'verified');
      assert.equal(entry?.byte_size, img.bytes.length);
      assert.equal(entry?.source, 'fetch');
      await rehashCachedImage(cache, { sha256: img.sha256, byteSize: img.bytes.length });
    }
    assert.ok(!fs.existsSync(cache.partialPathOf(a.sha256)));
    assert.deepEqual(await auditActions(inst), ['image.fetched', 'image.fetched']);
    assert.equal((await verifyAuditChain(inst.store.db)).ok, true);

    const before = server.requests.length;
    const second = await fetchImages(inst, { actor: 'test' });
    assert.deepEqual(
      second.images.map((i) => i.outcome),
      ['cached', 'cached'],
    );
    assert.equal(server.requests.length, before, 'a cached image must not be requested again');

    // Bytes altered on disk after verification are caught when re-hashed (migration Export).
    await appendToStored(cache.store, a.sha256, 'x');
    await assert.rejects(rehashCachedImage(cache, { sha256: a.sha256, byteSize: a.bytes.length }), {
      code: 'HASH_MISMATCH',
    });
  });
});

test('wrong bytes are quarantined with HASH_MISMATCH, never cached; a later good fetch verifies', async () => {
  await withSite(async ({ inst, server, cache }) => {
    const signed = randomImage(1 * MiB);
    const served = randomImage(1 * MiB);
    server.serve('/img', served.bytes);
    const sub = await addSubscription(inst.store.db, 'cern');
    await addSiteImage(inst.store.db, sub, {
      identifier: 'alma-9',
      sha256: signed.sha256,
      byteSize: signed.bytes.length,
      url: server.url('/img'),
    });

    const summary = await fetchImages(inst, { actor: 'test' });
    const r = byIdentifier(summary, 'alma-9');
    assert.equal(r.outcome, 'quarantined');
    assert.equal(r.code, 'HASH_MISMATCH');
    assert.equal(await cache.has(signed.sha256), false);
    assert.ok(!fs.existsSync(cache.partialPathOf(signed.sha256)));
    assert.equal(sha256((await readQuarantined(cache.store, signed.sha256))!), served.sha256);
    const entry = await cacheEntry(inst, signed.sha256);
    assert.equal(entry?.state, 'quarantined');
    assert.equal(entry?.reason, 'HASH_MISMATCH');
    assert.equal(entry?.actual_sha256, served.sha256);
    assert.deepEqual(await auditActions(inst), ['image.quarantined']);

    server.serve('/img', signed.bytes);
    const again = await fetchImages(inst, { actor: 'test' });
    assert.equal(byIdentifier(again, 'alma-9').outcome, 'fetched');
    const fixed = await cacheEntry(inst, signed.sha256);
    assert.equal(fixed?.state, 'verified');
    assert.equal(fixed?.reason, null);
    assert.equal(fixed?.actual_sha256, null);
    assert.ok(await cache.has(signed.sha256));
    assert.equal(await readQuarantined(cache.store, signed.sha256), undefined);
  });
});

test('a body longer than the signed size fails with TOO_LARGE and leaves nothing behind', async () => {
  await withSite(async ({ inst, server, cache }) => {
    const signed = randomImage(1 * MiB);
    // The signed bytes followed by more: the prefix hashes right, the length does not.
    server.serve('/img', Buffer.concat([signed.bytes, randomImage(MiB).bytes]));
    const sub = await addSubscription(inst.store.db, 'cern');
    await addSiteImage(inst.store.db, sub, {
      identifier: 'alma-9',
      sha256: signed.sha256,
      byteSize: signed.bytes.length,
      url: server.url('/img'),
    });

    const r = byIdentifier(await fetchImages(inst, { actor: 'test' }), 'alma-9');
    assert.equal(r.outcome, 'failed');
    assert.equal(r.code, 'TOO_LARGE');
    assert.equal(await cache.has(signed.sha256), false);
    assert.ok(!fs.existsSync(cache.partialPathOf(signed.sha256)));
    assert.equal(await cacheEntry(inst, signed.sha256), undefined);
    assert.deepEqual(await auditActions(inst), []);
  });
});

test('a body longer than the signed size without Content-Length is cut off at the limit', async () => {
  await withSite(async ({ inst, cache }) => {
    const signed = randomImage(256 * 1024);
    const server = http.createServer((_req, res) => {
      res.writeHead(200); // chunked: the size is only known by counting
      res.write(signed.bytes);
      res.end(randomImage(64 * 1024).bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const sub = await addSubscription(inst.store.db, 'cern');
      await addSiteImage(inst.store.db, sub, {
        identifier: 'alma-9',
        sha256: signed.sha256,
        byteSize: signed.bytes.length,
        url: `http://127.0.0.1:${port}/img`,
      });
      const r = byIdentifier(await fetchImages(inst, { actor: 'test' }), 'alma-9');
      assert.equal(r.code, 'TOO_LARGE');
      assert.ok(!fs.existsSync(cache.partialPathOf(signed.sha256)));
      assert.equal(await cacheEntry(inst, signed.sha256), undefined);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

test('an interrupted fetch keeps its partial file and resumes with Range, then verifies', async () => {
  await withSite(async ({ inst, server, cache }) => {
    const img = randomImage(4 * MiB + 3);
    server.serve('/img', img.bytes, 'cut-once');
    const sub = await addSubscription(inst.store.db, 'cern');
    await addSiteImage(inst.store.db, sub, {
      identifier: 'alma-9',
      sha256: img.sha256,
      byteSize: img.bytes.length,
      url: server.url('/img'),
    });

    const first = byIdentifier(await fetchImages(inst, { actor: 'test' }), 'alma-9');
    assert.equal(first.outcome, 'failed');
    assert.equal(first.code, 'FETCH_FAILED');
    const partial = cache.partialPathOf(img.sha256);
    assert.ok(fs.existsSync(partial), 'the partial file is kept for resuming');
    const kept = fs.statSync(partial).size;
    assert.ok(kept > 0 && kept < img.bytes.length, `kept ${kept} bytes`);
    assert.equal(await cacheEntry(inst, img.sha256), undefined);

    server.requests.length = 0;
    const second = byIdentifier(await fetchImages(inst, { actor: 'test' }), 'alma-9');
    assert.equal(second.outcome, 'resumed');
    assert.deepEqual(server.requests, [{ path: '/img', range: `bytes=${kept}-` }]);
    assert.equal(sha256(await readStored(cache.store, img.sha256)), img.sha256);
    assert.equal((await cacheEntry(inst, img.sha256))?.state, 'verified');
    assert.ok(!fs.existsSync(partial));
  });
});

test('a server that ignores Range on resume: the download restarts from zero and verifies', async () => {
  await withSite(async ({ inst, server, cache }) => {
    const img = randomImage(2 * MiB);
    server.serve('/img', img.bytes, 'ignore-range');
    const sub = await addSubscription(inst.store.db, 'cern');
    await addSiteImage(inst.store.db, sub, {
      identifier: 'alma-9',
      sha256: img.sha256,
      byteSize: img.bytes.length,
      url: server.url('/img'),
    });
    // A partial file left by an earlier, interrupted run.
    const partial = cache.preparePartial(img.sha256);
    fs.writeFileSync(partial, img.bytes.subarray(0, 700_000));

    const r = byIdentifier(await fetchImages(inst, { actor: 'test' }), 'alma-9');
    assert.equal(r.outcome, 'fetched');
    assert.deepEqual(server.requests, [{ path: '/img', range: 'bytes=700000-' }]);
    assert.equal(sha256(await readStored(cache.store, img.sha256)), img.sha256);
    assert.equal((await cacheEntry(inst, img.sha256))?.state, 'verified');
  });
});

test('a partial file longer than the signed size is discarded, not resumed', async () => {
  await withSite(async ({ inst, server, cache }) => {
    const img = randomImage(1 * MiB);
    server.serve('/img', img.bytes);
    const sub = await addSubscription(inst.store.db, 'cern');
    await addSiteImage(inst.store.db, sub, {
      identifier: 'alma-9',
      sha256: img.sha256,
      byteSize: img.bytes.length,
      url: server.url('/img'),
    });
    fs.writeFileSync(cache.preparePartial(img.sha256), randomImage(MiB + 1).bytes);

    const r = byIdentifier(await fetchImages(inst, { actor: 'test' }), 'alma-9');
    assert.equal(r.outcome, 'fetched');
    assert.deepEqual(server.requests, [{ path: '/img', range: undefined }]);
    assert.equal((await cacheEntry(inst, img.sha256))?.state, 'verified');
  });
});

test('fetch-scope approved: only images approved by hash or by endorser are fetched', async () => {
  await withSite(async ({ inst, server }) => {
    await inst.store.db
      .insertInto('site_policy')
      .values({ key: 'fetch-scope', value: 'approved' })
      .execute();
    const imgs = [randomImage(1000), randomImage(1001), randomImage(1002), randomImage(1003)];
    imgs.forEach((img, n) => server.serve(`/${n}`, img.bytes));
    const cern = await addSubscription(inst.store.db, 'cern');
    const desy = await addSubscription(inst.store.db, 'desy');
    const add = (sub: number, n: number) =>
      addSiteImage(inst.store.db, sub, {
        identifier: `img-${n}`,
        sha256: imgs[n]!.sha256,
        byteSize: imgs[n]!.bytes.length,
        url: server.url(`/${n}`),
      });
    await add(cern, 0);
    await add(cern, 1);
    await add(desy, 2);
    await add(desy, 3);
    await addApproval(inst.store.db, cern, { kind: 'image', sha256: imgs[0]!.sha256 });
    // An approval of the same hash under another subscription does not count for cern.
    await addApproval(inst.store.db, desy, { kind: 'image', sha256: imgs[1]!.sha256 });
    await addApproval(inst.store.db, desy, { kind: 'endorser' });
    // A revoked approval does not count.
    await inst.store.db
      .insertInto('approvals')
      .values({
        subscription_id: cern,
        kind: 'endorser',
        identifier: null,
        sha256: null,
        approved_by: 'test',
        approved_at: '2030-01-01T00:00:00.000Z',
        revoked_by: 'test',
        revoked_at: '2030-01-02T00:00:00.000Z',
      })
      .execute();

    const summary = await fetchImages(inst, { actor: 'test' });
    assert.deepEqual(
      summary.images.map((i) => [i.subscription, i.identifier, i.outcome]),
      [
        ['cern', 'img-0', 'fetched'],
        ['desy', 'img-2', 'fetched'],
        ['desy', 'img-3', 'fetched'],
      ],
    );
    assert.deepEqual(server.requests.map((r) => r.path).sort(), ['/0', '/2', '/3']);
  });
});

test('disabled subscriptions and withdrawn images are not fetched; --subscription narrows', async () => {
  await withSite(async ({ inst, server }) => {
    const imgs = [randomImage(2000), randomImage(2001), randomImage(2002), randomImage(2003)];
    imgs.forEach((img, n) => server.serve(`/${n}`, img.bytes));
    const on = await addSubscription(inst.store.db, 'cern');
    const other = await addSubscription(inst.store.db, 'desy');
    const off = await addSubscription(inst.store.db, 'old', { enabled: false });
    const add = (sub: number, n: number, status: 'endorsed' | 'withdrawn' = 'endorsed') =>
      addSiteImage(inst.store.db, sub, {
        identifier: `img-${n}`,
        sha256: imgs[n]!.sha256,
        byteSize: imgs[n]!.bytes.length,
        url: server.url(`/${n}`),
        status,
      });
    await add(on, 0);
    await add(on, 1, 'withdrawn');
    await add(off, 2);
    await add(other, 3);

    const only = await fetchImages(inst, { actor: 'test', subscription: 'cern' });
    assert.deepEqual(
      only.images.map((i) => [i.identifier, i.outcome]),
      [['img-0', 'fetched']],
    );
    const all = await fetchImages(inst, { actor: 'test' });
    assert.deepEqual(
      all.images.map((i) => [i.identifier, i.outcome]),
      [
        ['img-0', 'cached'],
        ['img-3', 'fetched'],
      ],
    );
    assert.deepEqual(server.requests.map((r) => r.path).sort(), ['/0', '/3']);
    await assert.rejects(fetchImages(inst, { actor: 'test', subscription: 'nope' }), {
      code: 'NOT_FOUND',
    });
  });
});

test('non-HTTP download URLs are refused with FETCH_FAILED; HTTP errors fail, nothing recorded', async () => {
  await withSite(async ({ inst, server }) => {
    const img = randomImage(100);
    const sub = await addSubscription(inst.store.db, 'cern');
    await addSiteImage(inst.store.db, sub, {
      identifier: 'local',
      sha256: img.sha256,
      byteSize: 100,
      url: 'file:///etc/passwd',
    });
    const missing = randomImage(101);
    await addSiteImage(inst.store.db, sub, {
      identifier: 'missing',
      sha256: missing.sha256,
      byteSize: 101,
      url: server.url('/missing'),
    });
    const summary = await fetchImages(inst, { actor: 'test' });
    for (const r of summary.images) {
      assert.equal(r.outcome, 'failed');
      assert.equal(r.code, 'FETCH_FAILED');
    }
    assert.match(byIdentifier(summary, 'missing').message ?? '', /HTTP 404/);
    assert.equal(summary.totals.failed, 2);
    assert.deepEqual(await inst.store.db.selectFrom('cache_entries').selectAll().execute(), []);
  });
});

test('one hash endorsed twice is downloaded once', async () => {
  await withSite(async ({ inst, server }) => {
    const img = randomImage(MiB);
    server.serve('/img', img.bytes);
    const cern = await addSubscription(inst.store.db, 'cern');
    const desy = await addSubscription(inst.store.db, 'desy');
    for (const sub of [cern, desy])
      await addSiteImage(inst.store.db, sub, {
        identifier: 'alma-9',
        sha256: img.sha256,
        byteSize: img.bytes.length,
        url: server.url('/img'),
      });
    const summary = await fetchImages(inst, { actor: 'test' });
    assert.deepEqual(
      summary.images.map((i) => [i.subscription, i.outcome]),
      [
        ['cern', 'fetched'],
        ['desy', 'fetched'],
      ],
    );
    assert.equal(server.requests.length, 1);
  });
});

test('downloads run at most fetch-concurrency at a time', async () => {
  await withSite(async ({ inst, server }) => {
    await inst.store.db
      .insertInto('site_policy')
      .values({ key: 'fetch-concurrency', value: '2' })
      .execute();
    const sub = await addSubscription(inst.store.db, 'cern');
    for (let n = 0; n < 6; n++) {
      const img = randomImage(512 * 1024 + n);
      server.serve(`/${n}`, img.bytes);
      await addSiteImage(inst.store.db, sub, {
        identifier: `img-${n}`,
        sha256: img.sha256,
        byteSize: img.bytes.length,
        url: server.url(`/${n}`),
      });
    }
    const summary = await fetchImages(inst, { actor: 'test' });
    assert.equal(summary.totals.fetched, 6);
    assert.ok(server.maxInFlight() <= 2, `${server.maxInFlight()} requests at once`);
  });
});

/**
 * A host that answers at once with the right Content-Length and then sends `step` bytes
 * every 20 ms: fast enough for the idle timeout, far below any throughput floor. After
 * `trickle(false)` it serves the rest normally (with Range), so resume can be checked.
 */
async function startTrickleServer(bytes: Buffer, step: number) {
  let trickling = true;
  const ranges: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    ranges.push(req.headers.range);
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    const body = bytes.subarray(start);
    res.writeHead(start > 0 ? 206 : 200, {
      'content-length': body.length,
      ...(start > 0
        ? { 'content-range': `bytes ${start}-${bytes.length - 1}/${bytes.length}` }
        : {}),
    });
    if (!trickling) {
      res.end(body);
      return;
    }
    let at = 0;
    const timer = setInterval(() => {
      res.write(body.subarray(at, at + step));
      at += step;
      if (at >= body.length) {
        clearInterval(timer);
        res.end();
      }
    }, 20);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/img`,
    ranges,
    trickle: (on: boolean) => (trickling = on),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

test('a trickling host is cut off by the throughput floor with TOO_SLOW; the partial resumes', async () => {
  const { inst, cleanup } = await tempInstance();
  const img = randomImage(256 * 1024);
  const host = await startTrickleServer(img.bytes, 8);
  try {
    // A floor of 4 KiB/s over 1 s; the host sends 400 bytes/s. The idle timeout (60 s by
    // default) would never fire: a byte arrives every 20 ms.
    await setPolicy(inst, 'fetch-min-rate', '4096', 'test');
    await setPolicy(inst, 'fetch-rate-window', '1', 'test');
    const sub = await addSubscription(inst.store.db, 'cern');
    await addSiteImage(inst.store.db, sub, {
      identifier: 'alma-9',
      sha256: img.sha256,
      byteSize: img.bytes.length,
      url: host.url,
    });

    const slow = byIdentifier(await fetchImages(inst, { actor: 'test' }), 'alma-9');
    assert.equal(slow.outcome, 'failed');
    assert.equal(slow.code, 'TOO_SLOW', slow.message);
    assert.match(slow.message ?? '', /fetch-min-rate/);
    assert.equal(await cacheEntry(inst, img.sha256), undefined);
    const cache = ImageCache.of(inst);
    const partial = cache.partialPathOf(img.sha256);
    const kept = fs.existsSync(partial) ? fs.statSync(partial).size : 0;
    assert.ok(kept > 0 && kept < img.bytes.length, `kept ${kept} bytes for resume`);

    // The same host, now at full speed: the next run resumes from the kept bytes.
    host.trickle(false);
    const again = byIdentifier(await fetchImages(inst, { actor: 'test' }), 'alma-9');
    assert.equal(again.outcome, 'resumed');
    assert.equal(host.ranges.at(-1), `bytes=${kept}-`);
    assert.equal((await cacheEntry(inst, img.sha256))?.state, 'verified');
  } finally {
    await host.close();
    await cleanup();
  }
});

test('a download past fetch-deadline ends with TOO_SLOW even above the throughput floor', async () => {
  const { inst, cleanup } = await tempInstance();
  const img = randomImage(256 * 1024);
  const host = await startTrickleServer(img.bytes, 64);
  try {
    // 3.2 KB/s clears a floor of 1 byte/s, but 256 KiB would take over a minute.
    await setPolicy(inst, 'fetch-min-rate', '1', 'test');
    await setPolicy(inst, 'fetch-rate-window', '1', 'test');
    await setPolicy(inst, 'fetch-deadline', '1', 'test');
    const sub = await addSubscription(inst.store.db, 'cern');
    await addSiteImage(inst.store.db, sub, {
      identifier: 'alma-9',
      sha256: img.sha256,
      byteSize: img.bytes.length,
      url: host.url,
    });
    const r = byIdentifier(await fetchImages(inst, { actor: 'test' }), 'alma-9');
    assert.equal(r.outcome, 'failed');
    assert.equal(r.code, 'TOO_SLOW');
    assert.match(r.message ?? '', /fetch-deadline/);
    assert.equal(await cacheEntry(inst, img.sha256), undefined);
  } finally {
    await host.close();
    await cleanup();
  }
});

test('the download policy keys refuse zero, fractions and words', async () => {
  const { inst, cleanup } = await tempInstance();
  try {
    for (const key of ['fetch-min-rate', 'fetch-rate-window', 'fetch-deadline'])
      for (const value of ['0', '1.5', 'fast', '-1'])
        await assert.rejects(setPolicy(inst, key, value, 'test'), { code: 'BAD_REQUEST' });
    const policy = await setPolicy(inst, 'fetch-deadline', '86400', 'test');
    assert.equal(policy.fetchDeadlineSeconds, 86400);
    assert.equal(policy.fetchMinBytesPerSecond, 256 * 1024);
    assert.equal(policy.fetchRateWindowSeconds, 60);
  } finally {
    await cleanup();
  }
});
