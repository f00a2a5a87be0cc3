import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MAX_RESPONSE_BYTES, ReceiverRefusal, send } from '../../../catalog/migration/migrate.ts';
import { bundleBody } from '../../../catalog/migration/send.ts';
import { sealChunks, STREAM_CHUNK_BYTES } from '../../../catalog/migration/chunked-aead.ts';

// The sender's read of the receiver's answer is bounded in bytes and in time (threat: a
// receiver, or something posing as one, that answers without end or never answers).

let dir: string;
let file: string;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-send-'));
  file = path.join(dir, 'image');
  fs.writeFileSync(file, crypto.randomBytes(64 * 1024));
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function receiver(answer: (res: http.ServerResponse) => void) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/transfers`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function sendTo(url: string, limits: Parameters<typeof send>[4] = {}) {
  const header = Buffer.from('header');
  const chunks = sealChunks([fs.readFileSync(file)], {
    key: crypto.randomBytes(32),
    salt: crypto.randomBytes(16),
    chunkBytes: STREAM_CHUNK_BYTES,
  });
  const body = bundleBody(header, chunks);
  return send(url, body, header.length + 64 * 1024 + 16, crypto.randomUUID(), limits);
}

test('an answer larger than the bound is refused with TOO_LARGE', async () => {
  const r = await receiver((res) => {
    res.writeHead(201, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const more = () => {
      while (res.write(chunk));
      res.once('drain', more);
    };
    more();
  });
  try {
    await assert.rejects(sendTo(r.url), (e: unknown) => {
      assert.equal((e as { code: string }).code, 'TOO_LARGE');
      assert.match((e as Error).message, new RegExp(`exceeds ${MAX_RESPONSE_BYTES} bytes`));
      return true;
    });
  } finally {
    await r.close();
  }
});

test('no answer after the last byte is sent ends with TOO_SLOW', async () => {
  const r = await receiver(() => {
    // reads everything, answers nothing
  });
  try {
    await assert.rejects(sendTo(r.url, { answerMs: 300 }), (e: unknown) => {
      assert.equal((e as { code: string }).code, 'TOO_SLOW');
      assert.equal((e as { rule: string }).rule, 'transfer.answer');
      return true;
    });
  } finally {
    await r.close();
  }
});

test('a receiver that answers its refusal comes back with its code', async () => {
  const r = await receiver((res) => {
    res.writeHead(422, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ code: 'CIPHERTEXT_INVALID', detail: 'tag', rule: 'gcm.tag' }));
  });
  try {
    await assert.rejects(sendTo(r.url), { code: 'CIPHERTEXT_INVALID', rule: 'gcm.tag' });
  } finally {
    await r.close();
  }
});

test('a code the receiver sends that is not one of ours is FETCH_FAILED, quoted, not cast', async () => {
  const r = await receiver((res) => {
    res.writeHead(422, { 'content-type': 'application/problem+json' });
    res.end(JSON.stringify({ code: 'PLEASE_RETRY', detail: 'made up', rule: 'x' }));
  });
  try {
    await assert.rejects(sendTo(r.url), (e: unknown) => {
      assert.ok(e instanceof ReceiverRefusal);
      assert.equal(e.code, 'FETCH_FAILED');
      assert.equal(e.rule, 'x');
      assert.match(e.message, /unknown code "PLEASE_RETRY": made up$/);
      return true;
    });
  } finally {
    await r.close();
  }
});

test('a refusal without a code is FETCH_FAILED with the HTTP status', async () => {
  const r = await receiver((res) => {
    res.writeHead(503, { 'content-type': 'text/plain' });
    res.end('busy');
  });
  try {
    await assert.rejects(sendTo(r.url), (e: unknown) => {
      assert.ok(e instanceof ReceiverRefusal);
      assert.equal(e.code, 'FETCH_FAILED');
      assert.equal(e.message, 'receiver refused the transfer: HTTP 503');
      return true;
    });
  } finally {
    await r.close();
  }
});

test('a refusal whose body is JSON but not an object (null, a number) is FETCH_FAILED, not a crash', async () => {
  for (const body of ['null', '42', '["x"]']) {
    const r = await receiver((res) => {
      res.writeHead(422, { 'content-type': 'application/problem+json' });
      res.end(body);
    });
    try {
      await assert.rejects(sendTo(r.url), (e: unknown) => {
        assert.ok(e instanceof ReceiverRefusal, body);
        assert.equal(e.code, 'FETCH_FAILED', body);
        assert.equal(e.message, 'receiver refused the transfer: HTTP 422', body);
        return true;
      });
    } finally {
      await r.close();
    }
  }
});
