import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVmicError } from '../../errors/index.ts';
import { startServer, parseTrustProxy, type AppOptions } from '../../server/index.ts';
import { TRANSFER_RATE_LIMIT } from '../../server/api/transfer-rate-limit.ts';
import { tempInstance } from '../helpers/temp-instance.ts';
import { vmic } from '../helpers/cli.ts';

// Behind nginx every peer's socket address is nginx's: `--trust-proxy` lets the per-address
// transfer limit (and the metrics allow-list) see the client the proxy names, and nothing
// else lets a client choose its own address (threat: a forged X-Forwarded-For buying a
// fresh bucket or framing another address).

async function served(opts: AppOptions) {
  const t = await tempInstance();
  const server = await startServer(t.inst, { host: '127.0.0.1', port: 0 }, opts);
  return {
    ...t,
    url: server.url,
    close: async () => {
      await server.close();
      await t.cleanup();
    },
  };
}

/** A transfer that is refused on its merits (400) unless the limit refuses it first (429). */
async function transfer(url: string, forwardedFor?: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/transfers`, {
    method: 'POST',
    headers: {
      'content-type': 'text/plain',
      ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }),
    },
    body: 'not a transfer',
  });
  await res.arrayBuffer();
  return res.status;
}

async function exhaust(url: string, forwardedFor: string): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i <= TRANSFER_RATE_LIMIT.burst; i++)
    statuses.push(await transfer(url, forwardedFor));
  return statuses;
}

const BURST_THEN_LIMITED = [...Array<number>(TRANSFER_RATE_LIMIT.burst).fill(400), 429];

test('behind a trusted proxy, each forwarded client has its own transfer bucket', async () => {
  const s = await served({ trustProxy: ['127.0.0.1/32'] });
  try {
    // nginx appends the address it saw: "what the client wrote, 192.0.2.1".
    assert.deepEqual(await exhaust(s.url, '192.0.2.1'), BURST_THEN_LIMITED);
    assert.equal(await transfer(s.url, '192.0.2.2'), 400, 'another peer is not limited');
    // A client writing another address to the left of its own still gets its own bucket.
    assert.equal(await transfer(s.url, '192.0.2.2, 192.0.2.1'), 429);
    // Nor does claiming to be the proxy itself help: trusted entries are skipped.
    assert.equal(await transfer(s.url, '192.0.2.1, 127.0.0.1'), 429);
    // The proxy's own requests (no header) are a third bucket, not the exhausted one.
    assert.equal(await transfer(s.url), 400);
  } finally {
    await s.close();
  }
});

test('without --trust-proxy a forged X-Forwarded-For does not get a fresh bucket', async () => {
  const s = await served({});
  try {
    assert.deepEqual(await exhaust(s.url, '192.0.2.1'), BURST_THEN_LIMITED);
    assert.equal(await transfer(s.url, '192.0.2.2'), 429);
    assert.equal(await transfer(s.url), 429);
  } finally {
    await s.close();
  }
});

test('a proxy not in the trusted networks is not believed either', async () => {
  const s = await served({ trustProxy: ['10.0.0.0/8', '::2/128'] });
  try {
    assert.deepEqual(await exhaust(s.url, '192.0.2.1'), BURST_THEN_LIMITED);
    assert.equal(await transfer(s.url, '192.0.2.2'), 429);
  } finally {
    await s.close();
  }
});

test('the metrics allow-list judges the forwarded client only behind a trusted proxy', async () => {
  // nginx and Prometheus on one host: allowing 127.0.0.1 must not admit nginx's clients.
  const proxied = await served({
    trustProxy: ['127.0.0.1/32'],
    metrics: { allow: ['127.0.0.1/32'] },
  });
  // No proxy trusted: a client naming an allowed address is still judged by its socket.
  const direct = await served({ metrics: { allow: ['10.0.0.0/8'] } });
  try {
    const status = async (url: string, forwardedFor?: string) => {
      const res = await fetch(`${url}/metrics`, {
        headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
      });
      await res.arrayBuffer();
      return res.status;
    };
    assert.equal(await status(proxied.url, '203.0.113.9'), 403);
    assert.equal(await status(proxied.url, '127.0.0.1, 203.0.113.9'), 403);
    assert.equal(await status(proxied.url), 200, 'a scrape on the host itself');
    assert.equal(await status(direct.url, '10.1.2.3'), 403);
  } finally {
    await proxied.close();
    await direct.close();
  }
});

test('a malformed --trust-proxy is a CONFIG error, at start-up and on the command line', async () => {
  assert.deepEqual(parseTrustProxy(' 127.0.0.1/32, ::1/128,10.0.0.1 '), [
    '127.0.0.1/32',
    '::1/128',
    '10.0.0.1',
  ]);
  for (const bad of ['10.0.0.0/33', 'nginx', '1.2.3.4/8/1', '0.0.0.0/0', '::/0', ' , ']) {
    assert.throws(
      () => parseTrustProxy(bad),
      (e: unknown) => isVmicError(e) && e.code === 'CONFIG' && /--trust-proxy/.test(e.message),
      bad,
    );
  }
  const t = await tempInstance();
  try {
    await assert.rejects(
      startServer(t.inst, { host: '127.0.0.1', port: 0 }, { trustProxy: ['10.0.0.0/33'] }),
      (e: unknown) => isVmicError(e) && e.code === 'CONFIG',
    );
    const flagged = vmic(['serve', '--data', t.dir, '--port', '0', '--trust-proxy', '10.0.0/8']);
    assert.equal(flagged.status, 2, flagged.stderr);
    assert.match(flagged.stderr, /--trust-proxy: not an address or CIDR block: "10\.0\.0\/8"/);
    const env = vmic(['serve', '--data', t.dir, '--port', '0'], { VMIC_TRUST_PROXY: '0.0.0.0/0' });
    assert.equal(env.status, 2, env.stderr);
    assert.match(env.stderr, /--trust-proxy: 0\.0\.0\.0\/0 would trust every client/);
  } finally {
    await t.cleanup();
  }
});
