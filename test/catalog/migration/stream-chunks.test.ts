import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { migrateImage } from '../../../catalog/migration/migrate.ts';
import { receiveTransfer } from '../../../catalog/migration/receive.ts';
import { listMigrations } from '../../../catalog/migration/records.ts';
import { ImageCache } from '../../../catalog/site/image-cache.ts';
import type { DemoHierarchy } from '../../../pki/index.ts';
import {
  SUBJECTS,
  buildDemoHierarchy,
  deployableImageAt,
  partialFiles,
  peerWith,
  startCapturingProxy,
  startSite,
  type Site,
} from './two-sites.ts';
import { overwriteStored, readStored } from '../blobs/stored-objects.ts';

// Transfers as streams of authenticated chunks (docs/design.md §8): tampering with any
// chunk of a bundle, a sender whose cache changed, resume over HTTP and from a bundle.

const MIB = 1024 * 1024;
const CHUNKS = 16;
const SIZE = CHUNKS * MIB - 4096; // the final chunk is short
const BLOCK = MIB + 16;
let h: DemoHierarchy;
let a: Site;
let b: Site;
let image: { identifier: string; sha256: string };
let proxy: Awaited<ReturnType<typeof startCapturingProxy>>;

before(async () => {
  h = await buildDemoHierarchy({ keyAlgorithm: 'RSA-2048', now: new Date() });
  a = await startSite(h, SUBJECTS.a, 'ECDSA-P256');
  b = await startSite(h, SUBJECTS.b, 'RSA-2048');
  image = await deployableImageAt(a, h, SIZE);
  proxy = await startCapturingProxy(b.url);
  await peerWith(a, 'site-b', { url: proxy.url }, SUBJECTS.b);
  await peerWith(b, 'site-a', { url: a.url }, SUBJECTS.a);
});

after(async () => {
  await proxy?.close();
  await a?.cleanup();
  await b?.cleanup();
});

function resumable(site: Site): string[] {
  const dir = path.join(site.dir, 'tmp', 'migrations', 'resumable');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

async function forgetImageAtB(): Promise<void> {
  await b.inst.siteCache.remove(image.sha256);
  await b.inst.store.db.deleteFrom('cache_entries').where('sha256', '=', image.sha256).execute();
}

/** A fresh bundle for B, split into its header and its sealed chunks. */
async function bundle(): Promise<{ file: string; header: Buffer; chunks: Buffer[] }> {
  const r = await migrateImage(a.inst, {
    image: 'alma9',
    to: 'site-b',
    dir: path.join(a.dir, 'outbox'),
    actor: 'test',
  });
  const bytes = fs.readFileSync(r.bundle!);
  const headerEnd = 12 + bytes.readUInt32BE(8);
  const chunks: Buffer[] = [];
  for (let at = headerEnd; at < bytes.length; at += BLOCK)
    chunks.push(bytes.subarray(at, at + BLOCK));
  assert.equal(chunks.length, CHUNKS);
  return { file: r.bundle!, header: bytes.subarray(0, headerEnd), chunks };
}

function receive(parts: Buffer[]) {
  return receiveTransfer(b.inst, Readable.from([Buffer.concat(parts)]), {
    via: 'test',
    actor: 'test',
  });
}

async function refusedLeavingNothing(parts: Buffer[], rule: string): Promise<void> {
  await forgetImageAtB();
  await assert.rejects(receive(parts), { code: 'CIPHERTEXT_INVALID', rule });
  assert.equal(await ImageCache.of(b.inst).has(image.sha256), false, 'nothing reached the cache');
  assert.deepEqual(partialFiles(b), [], 'no temporary plaintext is left');
}

test('a flipped byte in a chunk is CIPHERTEXT_INVALID; nothing reaches the cache or is kept', async () => {
  const { header, chunks } = await bundle();
  const flipped = Buffer.from(chunks[5]!);
  flipped[1234]! ^= 0x80;
  await refusedLeavingNothing(
    [header, ...chunks.slice(0, 5), flipped, ...chunks.slice(6)],
    'stream.chunk',
  );
  assert.deepEqual(resumable(b), [], 'a damaged stream keeps no chunk to resume from');
});

test('reordered chunks are CIPHERTEXT_INVALID', async () => {
  const { header, chunks } = await bundle();
  const swapped = [...chunks];
  [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
  await refusedLeavingNothing([header, ...swapped], 'stream.chunk');
});

test('a dropped chunk is CIPHERTEXT_INVALID', async () => {
  const { header, chunks } = await bundle();
  await refusedLeavingNothing([header, ...chunks.slice(0, 7), ...chunks.slice(8)], 'stream.chunk');
});

test('a stream truncated at its end is CIPHERTEXT_INVALID; reading the whole bundle again resumes', async () => {
  const { file, header, chunks } = await bundle();
  // Without its final chunk: every chunk sent authenticates, but the stream never ends.
  await refusedLeavingNothing([header, ...chunks.slice(0, CHUNKS - 1)], 'stream.truncated');
  assert.equal(resumable(b).length, 1, 'the authenticated chunks are kept to resume from');
  const r = await receiveTransfer(b.inst, fs.createReadStream(file), {
    via: 'test',
    actor: 'test',
  });
  assert.equal(r.resumedFromChunk, CHUNKS - 1, 'only the final chunk was opened again');
  const hash = crypto
    .createHash('sha256')
    .update(await readStored(b.inst.siteCache, image.sha256))
    .digest('hex');
  assert.equal(hash, image.sha256);
  assert.deepEqual(resumable(b), []);
  const m = (await listMigrations(b.inst)).find((x) => x.id === r.migrationId);
  assert.equal(m?.state, 'done');
});

test('a bundle of format 1 is refused with a message naming the version and what to do', async () => {
  const v1 = Buffer.concat([
    Buffer.from('VMICXFR1', 'ascii'),
    Buffer.from([0, 0, 0, 4]),
    Buffer.from('abcd'),
  ]);
  await assert.rejects(receive([v1]), (e: unknown) => {
    const err = e as { code: string; message: string; rule: string };
    assert.equal(err.code, 'MALFORMED');
    assert.equal(err.rule, 'bundle.version');
    assert.match(err.message, /format 1/);
    assert.match(err.message, /export it again/);
    return true;
  });
});

test('a migration cut off at 50% resumes over HTTP and sends only the rest', async () => {
  await forgetImageAtB();
  const before = proxy.bodies.length;
  proxy.cut.next = 8 * BLOCK + 5000;
  await assert.rejects(migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' }));
  assert.equal(proxy.cut.done, 1, 'the first transfer was cut');
  const first = (await listMigrations(a.inst)).find(
    (m) => m.state === 'failed' && m.direction === 'outgoing',
  )!;
  // The receiver sees the connection end, keeps the chunks it authenticated, and says so.
  let state: { chunksHeld: number; chunks: number } | undefined;
  for (let i = 0; i < 100 && !state; i++) {
    const res = await fetch(`${b.url}/api/v1/transfers/${first.id}`);
    if (res.status === 200) state = (await res.json()) as typeof state;
    else await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(state, 'the receiver reports the chunks it holds');
  assert.ok(state.chunksHeld >= 6 && state.chunksHeld <= 8, `held ${state.chunksHeld}`);
  assert.equal(state.chunks, CHUNKS);
  assert.deepEqual(partialFiles(b), [], 'no unauthenticated plaintext is kept');

  const r = await migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' });
  assert.equal(r.migrationId, first.id, 'the same migration went on');
  assert.deepEqual(r.resumed, { fromChunk: state.chunksHeld, chunks: CHUNKS });
  const bodies = proxy.bodies.slice(before).filter((x) => x.length > 0);
  assert.equal(bodies.length, 2);
  const full = SIZE + CHUNKS * 16;
  const second = bodies[1]!.length;
  assert.ok(
    second < 0.6 * full && second > 0.4 * full,
    `the second request sent ${second} of ${full} bytes`,
  );
  assert.equal(r.bytesSent, second, 'the counter matches the request on the wire');
  const cached = await readStored(b.inst.siteCache, image.sha256);
  assert.equal(crypto.createHash('sha256').update(cached).digest('hex'), image.sha256);
  assert.equal((await listMigrations(b.inst)).find((m) => m.id === r.migrationId)?.state, 'done');
  assert.equal(
    (await fetch(`${b.url}/api/v1/transfers/${first.id}`)).status,
    404,
    'nothing left to resume',
  );
  assert.deepEqual(resumable(b), []);
});

test('a cached image that changed since it was verified is not completed: the final chunk is held back', async () => {
  await forgetImageAtB();
  const original = await readStored(a.inst.siteCache, image.sha256);
  const changed = Buffer.from(original);
  changed[3 * MIB]! ^= 0x01;
  await overwriteStored(a.inst.siteCache, image.sha256, changed);
  const before = proxy.bodies.length;
  try {
    await assert.rejects(migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' }), {
      code: 'HASH_MISMATCH',
    });
  } finally {
    await overwriteStored(a.inst.siteCache, image.sha256, original);
  }
  for (let i = 0; i < 100 && proxy.bodies.length === before; i++)
    await new Promise((r) => setTimeout(r, 50));
  const sent = proxy.bodies.at(-1)!.length;
  assert.ok(sent < SIZE, `the final chunk was never sent (${sent} bytes went out)`);
  assert.equal(
    await ImageCache.of(b.inst).has(image.sha256),
    false,
    'the receiver never completed',
  );
  const [atA] = (await listMigrations(a.inst)).filter((m) => m.direction === 'outgoing').slice(-1);
  assert.ok(atA);
});

test('GET /api/v1/transfers/{id} of an unknown transfer is 404; a malformed id is 400', async () => {
  assert.equal((await fetch(`${b.url}/api/v1/transfers/${crypto.randomUUID()}`)).status, 404);
  assert.equal((await fetch(`${b.url}/api/v1/transfers/not-an-id`)).status, 400);
});
