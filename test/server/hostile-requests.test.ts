/**
 * Bad input from anyone on the network: every refusal is a 4xx problem+json with a stable
 * code, never a 500, and a refused body is not read to its end first.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { bearer, problemOf, startHarness, type Harness } from './harness.ts';

/** One raw HTTP/1.1 exchange: what a parser-level client (not fetch) would send. */
function rawExchange(url: string, request: string | Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const text = Buffer.concat(chunks).toString('utf8');
      const head = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text.slice(0, head));
      // The answer is complete: stop without sending the rest of the declared body.
      if (head >= 0 && length && Buffer.byteLength(text) - head - 4 >= Number(length[1])) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(request);
  });
}

function parseRaw(text: string): { status: number; headers: string; body: string } {
  const head = text.indexOf('\r\n\r\n');
  return {
    status: Number(text.slice(9, 12)),
    headers: text.slice(0, head).toLowerCase(),
    body: text.slice(head + 4),
  };
}

describe('hostile requests get 4xx problem+json, never 500', () => {
  let h: Harness;
  let admin: string;
  before(async () => {
    h = await startHarness();
    admin = await h.token('admin');
  });
  after(async () => {
    await h.close();
  });

  test('malformed percent-encoding in path parameters: 400 BAD_REQUEST on every router', async () => {
    const paths = [
      '/feeds/%zz/',
      '/feeds/cern/%',
      '/feeds/cern/1/%ff',
      '/blobs/sha256/%c0%ae%c0%ae',
      '/api/v1/endorsers/%zz',
      '/api/v1/endorsers/cern/images/%',
      '/api/v1/gate/%ff',
      '/api/v1/site/subscriptions/%c0%ae',
    ];
    for (const path of paths) {
      const r = await fetch(`${h.url}${path}`, { headers: bearer(admin) });
      assert.equal(r.status, 400, path);
      assert.equal(r.headers.get('content-type'), 'application/problem+json; charset=utf-8', path);
      const p = await problemOf(r);
      assert.equal(p.code, 'BAD_REQUEST', path);
      assert.equal(p.status, 400, path);
    }
    assert.deepEqual(h.logs, [], 'no request was logged as a server error');
  });

  test("bytes Node's parser rejects in the URL: problem+json 400", async () => {
    const req = Buffer.concat([
      Buffer.from('GET /feeds/'),
      Buffer.from([0xff, 0x01]),
      Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n'),
    ]);
    const res = parseRaw(await rawExchange(h.url, req));
    assert.equal(res.status, 400);
    assert.match(res.headers, /content-type: application\/problem\+json/);
    assert.equal((JSON.parse(res.body) as { code: string }).code, 'BAD_REQUEST');
  });

  test('headers over the limit: problem+json 431', async () => {
    const big = `X-Filler: ${'a'.repeat(20_000)}\r\n`;
    const res = parseRaw(
      await rawExchange(h.url, `GET /healthz HTTP/1.1\r\nHost: x\r\n${big}\r\n`),
    );
    assert.equal(res.status, 431);
    assert.match(res.headers, /content-type: application\/problem\+json/);
    assert.equal((JSON.parse(res.body) as { code: string }).code, 'HEADERS_TOO_LARGE');
  });

  test('a JSON body that declares 10 GB is refused before any of it is sent', async () => {
    // Only the headers are sent: a server that read the body before answering would never
    // answer, and this test would not finish.
    const req =
      'PUT /api/v1/site/policy/revocation HTTP/1.1\r\nHost: x\r\n' +
      `Authorization: Bearer ${admin}\r\nContent-Type: application/json\r\n` +
      'Content-Length: 10737418240\r\n\r\n';
    const res = parseRaw(await rawExchange(h.url, req));
    assert.equal(res.status, 413);
    assert.match(res.headers, /connection: close/);
    assert.equal((JSON.parse(res.body) as { code: string }).code, 'TOO_LARGE');
  });

  test('an anonymous upload is refused without reading the body', async () => {
    const req =
      'POST /api/v1/endorsers/cern/images HTTP/1.1\r\nHost: x\r\n' +
      'Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 10737418240\r\n\r\n';
    const res = parseRaw(await rawExchange(h.url, req));
    assert.equal(res.status, 401);
    assert.match(res.headers, /connection: close/);
  });

  test('a lone UTF-16 surrogate in a JSON title is refused with the field pointer', async () => {
    const r = await fetch(`${h.url}/api/v1/endorsers/cern/images`, {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body:
        '{"identifier":"x","title":"bad \\ud800 title","url":"https://e.example/x.img","sha256":"' +
        'a'.repeat(64) +
        '","size":1}',
    });
    assert.equal(r.status, 400);
    const p = await problemOf(r);
    assert.equal(p.code, 'BAD_REQUEST');
    assert.equal(p.rule, 'unicode');
    assert.match(String(p.detail), /\/title/);
  });
});
