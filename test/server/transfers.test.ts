import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { once } from 'node:events';
import { startServer } from '../../server/index.ts';
import { setSiteIdentity } from '../../catalog/migration/site-identity.ts';
import { listMigrations } from '../../catalog/migration/records.ts';
import { BUNDLE_MAGIC } from '../../catalog/migration/bundle-format.ts';
import { TRANSFER_RATE_LIMIT } from '../../server/api/transfer-rate-limit.ts';
import { opensslCmsSignFile, opensslIdentity } from '../helpers/openssl/index.ts';
import { tempInstance } from '../helpers/temp-instance.ts';
import { freePort } from '../helpers/free-port.ts';

// POST /api/v1/transfers takes no token: the work a stranger can make it do is bounded.

async function receiver() {
  const t = await tempInstance();
  const site = opensslIdentity(t.dir, {
    name: 'site',
    keyUsage: 'digitalSignature,keyEncipherment',
  });
  await setSiteIdentity(t.inst, { ...site, actor: 'test' });
  const port = await freePort();
  const server = await startServer(t.inst, { host: '127.0.0.1', port });
  return {
    ...t,
    port,
    close: async () => {
      await server.close();
      await t.cleanup();
    },
  };
}

/** The header of a transfer from a site that is not a peer, its manifest signed by `openssl cms`. */
function strangerHeader(dir: string): Buffer {
  const stranger = opensslIdentity(dir, { name: 'stranger' });
  const manifest = path.join(dir, 'manifest.json');
  fs.writeFileSync(manifest, JSON.stringify({ version: 1, sender: 'CN=stranger' }));
  const cms = fs.readFileSync(opensslCmsSignFile(manifest, stranger, `${manifest}.der`));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(cms.length);
  return Buffer.concat([BUNDLE_MAGIC, len, cms]);
}

test(
  'a transfer from a stranger is refused after its manifest, without draining a 1 GiB body',
  { timeout: 120_000 },
  async () => {
    const r = await receiver();
    try {
      const declared = 1024 ** 3;
      const socket = net.connect(r.port, '127.0.0.1');
      await once(socket, 'connect');
      let answer = '';
      socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      socket.on('error', () => {}); // the reset after the linger is expected
      let open = true;
      void closed.then(() => (open = false));
      socket.write(
        `POST /api/v1/transfers HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.vmic.transfer\r\nContent-Length: ${declared}\r\n\r\n`,
      );
      const header = strangerHeader(r.dir);
      socket.write(header);
      // Send ciphertext as fast as the receiver takes it, until it closes the connection.
      let sent = header.length;
      const chunk = Buffer.alloc(1024 * 1024);
      while (open && sent < declared) {
        sent += chunk.length;
        if (!socket.write(chunk))
          await Promise.race([once(socket, 'drain').catch(() => {}), closed]);
      }
      await closed;
      assert.match(answer, /^HTTP\/1\.1 422 /);
      assert.match(answer, /"code":"UNKNOWN_PEER"/);
      assert.ok(
        sent < 128 * 1024 * 1024,
        `the receiver took ${sent} bytes of a refused 1 GiB transfer`,
      );
      const [listed] = await listMigrations(r.inst);
      assert.equal(listed?.state, 'refused');
      assert.equal(listed?.reason?.code, 'UNKNOWN_PEER');
      assert.match(listed?.claimedSender?.subject ?? '', /CN=stranger/);
      assert.equal(listed?.claimedSender?.verified, false);
    } finally {
      await r.close();
    }
  },
);

test('a declared length beyond any transfer is refused before a byte is read', async () => {
  const r = await receiver();
  try {
    const res = await fetch(`http://127.0.0.1:${r.port}/api/v1/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.vmic.transfer' },
      body: 'x',
    }).catch(() => undefined);
    // A well-formed but tiny body is refused as a transfer (MALFORMED), not as too large.
    assert.notEqual(res?.status, 413);
    const socket = net.connect(r.port, '127.0.0.1');
    await once(socket, 'connect');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    socket.on('error', () => {});
    socket.write(
      `POST /api/v1/transfers HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.vmic.transfer\r\nContent-Length: ${2 ** 50}\r\n\r\n`,
    );
    await once(socket, 'close');
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /"rule":"content-length"/);
  } finally {
    await r.close();
  }
});

test('transfers are rate-limited per client address: 429 problem+json with Retry-After', async () => {
  const r = await receiver();
  try {
    const statuses: number[] = [];
    let limited: Response | undefined;
    for (let i = 0; i < TRANSFER_RATE_LIMIT.burst + 3; i++) {
      const res = await fetch(`http://127.0.0.1:${r.port}/api/v1/transfers`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'not a transfer',
      });
      statuses.push(res.status);
      if (res.status === 429) limited ??= res;
      else await res.arrayBuffer();
    }
    assert.deepEqual(
      statuses.slice(0, TRANSFER_RATE_LIMIT.burst),
      Array(TRANSFER_RATE_LIMIT.burst).fill(400),
      'the burst is answered on its merits',
    );
    assert.deepEqual(statuses.slice(TRANSFER_RATE_LIMIT.burst), [429, 429, 429]);
    assert.ok(limited);
    assert.match(limited.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    const body = (await limited.json()) as { code: string };
    assert.equal(body.code, 'TOO_MANY_REQUESTS');
    // The identity stays readable: only transfers are limited.
    const id = await fetch(`http://127.0.0.1:${r.port}/api/v1/site/identity`);
    assert.equal(id.status, 200);
  } finally {
    await r.close();
  }
});
