import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  encodeManifest,
  parseManifest,
  type TransferManifest,
} from '../../../catalog/migration/manifest.ts';

// The version 2 manifest binds the stream: chunk size, number of chunks, salt, and the
// plaintext's size and SHA-256 (docs/design.md §8).

function manifest(over: Record<string, unknown> = {}): Record<string, unknown> {
  const m: TransferManifest = {
    version: 2,
    migrationId: crypto.randomUUID(),
    image: { identifier: 'alma9', endorser: 'cern', endorserSubject: 'CN=E', title: 'Alma' },
    plaintext: { sha256: 'a'.repeat(64), size: 3 * 1024 * 1024 + 5 },
    stream: {
      enc: 'A256GCM-STREAM1',
      chunkBytes: 1024 * 1024,
      chunks: 4,
      salt: crypto.randomBytes(16).toString('base64url'),
    },
    receiver: 'CN=B',
    sender: 'CN=A',
    nonce: crypto.randomBytes(32).toString('base64url'),
    createdAt: new Date().toISOString(),
    wrappedKey: 'a.b.c.d.e',
  };
  return { ...m, ...over };
}

const parse = (m: Record<string, unknown>) => parseManifest(Buffer.from(JSON.stringify(m)));

test('a version 2 manifest round-trips', () => {
  const m = manifest() as unknown as TransferManifest;
  assert.deepEqual(parseManifest(encodeManifest(m)), m);
});

test('a version 1 manifest is refused with a message naming the version', () => {
  assert.throws(
    () => parse(manifest({ version: 1 })),
    (e: unknown) => {
      const err = e as { code: string; rule: string; message: string };
      assert.equal(err.code, 'MALFORMED');
      assert.equal(err.rule, 'manifest.version');
      assert.match(err.message, /version 1 is not read/);
      return true;
    },
  );
});

test('the number of chunks must follow from the size and chunk size', () => {
  const base = manifest();
  const stream = base.stream as Record<string, unknown>;
  for (const chunks of [3, 5, 0])
    assert.throws(() => parse({ ...base, stream: { ...stream, chunks } }), {
      code: 'MALFORMED',
      rule: 'manifest.stream.chunks',
    });
});

test('a chunk size outside 64 KiB..16 MiB is refused (a receiver holds one chunk in memory)', () => {
  const base = manifest({ plaintext: { sha256: 'a'.repeat(64), size: 1 } });
  const stream = base.stream as Record<string, unknown>;
  for (const chunkBytes of [1024, 64 * 1024 * 1024])
    assert.throws(() => parse({ ...base, stream: { ...stream, chunkBytes, chunks: 1 } }), {
      code: 'MALFORMED',
      rule: 'manifest.stream.chunkBytes',
    });
});

test('the salt and the stream encoding are checked', () => {
  const base = manifest();
  const stream = base.stream as Record<string, unknown>;
  assert.throws(() => parse({ ...base, stream: { ...stream, salt: 'short' } }), {
    rule: 'manifest.stream.salt',
  });
  assert.throws(() => parse({ ...base, stream: { ...stream, enc: 'A256GCM' } }), {
    rule: 'manifest.stream.enc',
  });
  assert.throws(() => parse({ ...base, stream: undefined }), { rule: 'manifest.stream' });
});
