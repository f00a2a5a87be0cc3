import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { boundedGet } from '../../../catalog/net/bounded-fetch.ts';
import { httpFeedFetcher } from '../../../catalog/site/feed-fetcher.ts';
import { resolveRecipient } from '../../../catalog/migration/recipient.ts';
import type { Peer } from '../../../catalog/migration/peers.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { freePort } from '../../helpers/free-port.ts';

/**
 * A real loopback server with the ways another host can misbehave: endless bodies, a size
 * that is too large, bytes trickled one at a time, no answer at all. Every stalled
 * response is cut when the client goes (closeAllConnections at the end).
 */
function misbehavingServer(): http.Server {
  return http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const endless = () => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    };
    const trickle = () => {
      res.writeHead(200, { 'content-length': 10_000 });
      const timer = setInterval(() => res.write('x'), 20);
      res.on('close', () => clearInterval(timer));
    };
    switch (path) {
      case '/ok':
      case '/ok/api/v1/site/identity':
        res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' });
        res.end(JSON.stringify({ hello: 'world' }));
        return;
      case '/endless':
      case '/endless/api/v1/site/identity':
        endless();
        return;
      case '/declared-large':
        res.writeHead(200, { 'content-length': 50 * 1024 * 1024 });
        res.write('x');
        return;
      case '/trickle':
      case '/trickle/api/v1/site/identity':
        trickle();
        return;
      case '/silent':
      case '/silent/api/v1/site/identity':
        return; // headers never come
      case '/redirect':
        res.writeHead(302, { location: '/endless' }).end();
        return;
      default:
        res.writeHead(404).end();
    }
  });
}

describe('bounded outbound reads', () => {
  let server: http.Server;
  let base: string;
  before(async () => {
    server = misbehavingServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const bounds = { maxBytes: 1024 * 1024, timeoutMs: 800 };

  test('a body within the bounds is returned whole', async () => {
    const res = await boundedGet(`${base}/ok`, bounds);
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body.toString('utf8')), { hello: 'world' });
  });

  test('an endless body is abandoned at the byte limit: TOO_LARGE', async () => {
    await assert.rejects(boundedGet(`${base}/endless`, bounds), { code: 'TOO_LARGE' });
    // through a redirect too
    await assert.rejects(boundedGet(`${base}/redirect`, bounds), { code: 'TOO_LARGE' });
  });

  test('a declared length past the limit is refused before reading: TOO_LARGE', async () => {
    await assert.rejects(boundedGet(`${base}/declared-large`, bounds), { code: 'TOO_LARGE' });
  });

  test('a body trickled a byte at a time, or no answer at all, ends at the deadline: TOO_SLOW', async () => {
    await assert.rejects(boundedGet(`${base}/trickle`, bounds), { code: 'TOO_SLOW' });
    await assert.rejects(boundedGet(`${base}/silent`, bounds), { code: 'TOO_SLOW' });
  });

  test('a refused connection and other schemes are FETCH_FAILED', async () => {
    const closed = await freePort();
    await assert.rejects(boundedGet(`http://127.0.0.1:${closed}/`, bounds), {
      code: 'FETCH_FAILED',
    });
    for (const url of ['data:text/plain,hello', 'file:///etc/passwd', 'not a url'])
      await assert.rejects(boundedGet(url, bounds), { code: 'FETCH_FAILED' }, url);
  });

  test('feeds: endless body TOO_LARGE, trickle TOO_SLOW, and a good one is read', async () => {
    const opts = { maxBytes: 256 * 1024, timeoutMs: 800 };
    await assert.rejects(httpFeedFetcher.fetch(`${base}/endless`, opts), { code: 'TOO_LARGE' });
    await assert.rejects(httpFeedFetcher.fetch(`${base}/trickle`, opts), { code: 'TOO_SLOW' });
    await assert.rejects(httpFeedFetcher.fetch(`${base}/silent`, opts), { code: 'TOO_SLOW' });
    await assert.rejects(httpFeedFetcher.fetch(`${base}/nothing-here`, opts), {
      code: 'FETCH_FAILED',
    });
    const ok = await httpFeedFetcher.fetch(`${base}/ok`, opts);
    assert.equal(ok.status, 'ok');
    assert.equal(ok.status === 'ok' && ok.etag, '"v1"');
  });

  test("a peer's identity document: endless TOO_LARGE, trickle and silence TOO_SLOW", async () => {
    const { inst, cleanup } = await tempInstance();
    try {
      const peer = (path: string) =>
        ({
          name: 'lyon',
          url: `${base}/${path}`,
          certificatePem: undefined,
          expectSubject: 'CN=lyon',
          createdAt: '2024-01-01T00:00:00Z',
        }) as Peer;
      await assert.rejects(resolveRecipient(inst, peer('endless'), 800), { code: 'TOO_LARGE' });
      await assert.rejects(resolveRecipient(inst, peer('trickle'), 800), { code: 'TOO_SLOW' });
      await assert.rejects(resolveRecipient(inst, peer('silent'), 800), { code: 'TOO_SLOW' });
      // Within the bounds but not an identity: read, then refused for what it says.
      await assert.rejects(resolveRecipient(inst, peer('ok'), 800), { code: 'MALFORMED' });
    } finally {
      await cleanup();
    }
  });
});
