import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { test } from 'node:test';
import { isVmicError } from '../../../errors/index.ts';
import {
  chunkCount,
  openChunks,
  sealChunks,
  sealedSize,
  type StreamParams,
} from '../../../catalog/migration/chunked-aead.ts';

const CHUNK = 64;
const TAG = 16;
const params = (): StreamParams => ({
  key: crypto.randomBytes(32),
  salt: crypto.randomBytes(16),
  chunkBytes: CHUNK,
});

/** Feeds `data` in pieces of awkward sizes, as a network would. */
function* pieces(data: Buffer, size = 23): Generator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const b of gen) out.push(b);
  return Buffer.concat(out);
}

async function seal(p: StreamParams, plain: Buffer, first = 0): Promise<Buffer> {
  return collect(sealChunks(pieces(plain.subarray(first * p.chunkBytes)), p, first));
}

/** Opens, returning the plaintext released before any failure, and the failure's code. */
async function open(
  p: StreamParams,
  sealed: Buffer,
  opts: { firstChunk?: number; expectChunks?: number } = {},
): Promise<{ plain: Buffer; code?: string }> {
  const out: Buffer[] = [];
  try {
    for await (const c of openChunks(pieces(sealed, 41), p, opts)) out.push(c.plaintext);
    return { plain: Buffer.concat(out) };
  } catch (e) {
    assert.ok(isVmicError(e), String(e));
    return { plain: Buffer.concat(out), code: e.code };
  }
}

const block = (sealed: Buffer, i: number) =>
  sealed.subarray(i * (CHUNK + TAG), (i + 1) * (CHUNK + TAG));

test('round trip at every size around the chunk boundaries', async () => {
  const p = params();
  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5]) {
    const plain = crypto.randomBytes(size);
    const sealed = await seal(p, plain);
    assert.equal(sealed.length, sealedSize(size, CHUNK), `size ${size}`);
    const n = chunkCount(size, CHUNK);
    const r = await open(p, sealed, { expectChunks: n });
    assert.equal(r.code, undefined, `size ${size}`);
    assert.ok(r.plain.equals(plain), `size ${size}`);
  }
});

test('a flipped, reordered, dropped, repeated or truncated chunk is CIPHERTEXT_INVALID, and only the chunks before it are released', async () => {
  const p = params();
  const plain = crypto.randomBytes(4 * CHUNK + 10);
  const sealed = await seal(p, plain);
  const n = chunkCount(plain.length, CHUNK);
  const flipped = Buffer.from(sealed);
  flipped[2 * (CHUNK + TAG) + 3]! ^= 1;
  const cases: [string, Buffer, number][] = [
    ['flipped byte in chunk 2', flipped, 2],
    [
      'chunks 1 and 2 swapped',
      Buffer.concat([
        block(sealed, 0),
        block(sealed, 2),
        block(sealed, 1),
        sealed.subarray(3 * (CHUNK + TAG)),
      ]),
      1,
    ],
    ['chunk 1 dropped', Buffer.concat([block(sealed, 0), sealed.subarray(2 * (CHUNK + TAG))]), 1],
    ['chunk 0 repeated', Buffer.concat([block(sealed, 0), sealed]), 1],
    ['cut at a chunk boundary', sealed.subarray(0, 3 * (CHUNK + TAG)), 2],
    ['cut inside the final chunk', sealed.subarray(0, sealed.length - 3), 4],
    ['a byte after the final chunk', Buffer.concat([sealed, Buffer.from([0])]), 4],
  ];
  for (const [name, bad, goodChunks] of cases) {
    const r = await open(p, bad);
    assert.equal(r.code, 'CIPHERTEXT_INVALID', name);
    assert.ok(
      r.plain.equals(plain.subarray(0, goodChunks * CHUNK)),
      `${name}: released ${r.plain.length} bytes`,
    );
  }
  // The manifest's chunk count is held too: a stream whose final chunk comes early or late.
  assert.equal((await open(p, sealed, { expectChunks: n + 1 })).code, 'CIPHERTEXT_INVALID');
  assert.equal((await open(p, sealed, { expectChunks: n - 1 })).code, 'CIPHERTEXT_INVALID');
  // Another transfer's key or salt opens nothing.
  const other = { ...params(), chunkBytes: CHUNK };
  const r = await open({ ...p, salt: other.salt }, sealed);
  assert.equal(r.code, 'CIPHERTEXT_INVALID');
  assert.equal(r.plain.length, 0);
});

test('a resumed run seals exactly the rest of a full run, and opens from the resume point', async () => {
  const p = params();
  const plain = crypto.randomBytes(5 * CHUNK + 7);
  const full = await seal(p, plain);
  const rest = await seal(p, plain, 3);
  assert.ok(rest.equals(full.subarray(3 * (CHUNK + TAG))));
  const r = await open(p, rest, { firstChunk: 3, expectChunks: chunkCount(plain.length, CHUNK) });
  assert.equal(r.code, undefined);
  assert.ok(r.plain.equals(plain.subarray(3 * CHUNK)));
});

test('the stream format opens with an independent implementation (Python cryptography)', async () => {
  const p = params();
  const plain = crypto.randomBytes(3 * CHUNK + 9);
  const sealed = await seal(p, plain);
  // HKDF-SHA-256(key, salt, info) → AES-256-GCM per chunk, nonce = 11-byte counter ‖ last.
  const py = [
    'import sys',
    'from cryptography.hazmat.primitives.hashes import SHA256',
    'from cryptography.hazmat.primitives.kdf.hkdf import HKDF',
    'from cryptography.hazmat.primitives.ciphers.aead import AESGCM',
    'key, salt, chunk = bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2]), int(sys.argv[3])',
    'data = sys.stdin.buffer.read()',
    "k = AESGCM(HKDF(SHA256(), 32, salt, b'vmic transfer stream 1').derive(key))",
    'blocks = [data[i:i + chunk + 16] for i in range(0, len(data), chunk + 16)]',
    'out = b"".join(k.decrypt(i.to_bytes(11, "big") + bytes([i == len(blocks) - 1]), b, None) for i, b in enumerate(blocks))',
    'sys.stdout.buffer.write(out)',
  ].join('\n');
  const out = execFileSync(
    '/usr/bin/python3',
    [
      '-c',
      py,
      Buffer.from(p.key).toString('hex'),
      Buffer.from(p.salt).toString('hex'),
      String(CHUNK),
    ],
    { input: sealed },
  );
  assert.ok(out.equals(plain));
});
