import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { bearer, problemOf, sha256, startHarness, testBytes, type Harness } from './harness.ts';

async function imageCount(h: Harness): Promise<number> {
  const r = await h.inst.store.db
    .selectFrom('images')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

function blobFiles(h: Harness): string[] {
  const root = `${h.inst.blobs.root}/sha256`;
  return fs.readdirSync(root).flatMap((d) => fs.readdirSync(`${root}/${d}`));
}

/** Polls until the server has noticed an abort; the bound is a safety net, not an assertion on time. */
async function eventually(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return;
    await sleep(20);
  }
  assert.fail(`never became true: ${what}`);
}

function form(fields: Record<string, string>, file?: Buffer, fileFirst = false): FormData {
  const f = new FormData();
  if (file && fileFirst) f.append('file', new Blob([file]), 'disk.qcow2');
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  if (file && !fileFirst) f.append('file', new Blob([file]), 'disk.qcow2');
  return f;
}

describe('image uploads', () => {
  let h: Harness;
  let token: string;
  before(async () => {
    h = await startHarness({ limits: { imageBytes: 8 * 1024 * 1024 } });
    token = await h.token('endorser:cern');
  });
  after(async () => {
    assert.deepEqual(h.logs, []);
    await h.close();
  });

  test('a few MiB through multipart: hashed while streaming, stored, served back', async () => {
    const bytes = testBytes(3 * 1024 * 1024 + 17);
    const r = await fetch(`${h.url}/api/v1/endorsers/cern/images`, {
      method: 'POST',
      headers: bearer(token),
      body: form(
        {
          title: 'Ubuntu 24.04',
          osName: 'Ubuntu',
          arch: 'x86_64',
          format: 'qcow2',
          identifier: 'ubuntu-2404',
        },
        bytes,
      ),
    });
    assert.equal(r.status, 201);
    const img = (await r.json()) as Record<string, unknown>;
    assert.equal(img.sha256, sha256(bytes));
    assert.equal(img.byteSize, bytes.length);
    assert.equal(img.identifier, 'ubuntu-2404');
    assert.equal(img.storedHere, true);
    assert.equal(img.downloadUrl, `http://vmic.test/blobs/sha256/${sha256(bytes)}`);
    assert.ok(h.inst.blobs.has(sha256(bytes)));
    assert.deepEqual(fs.readFileSync(h.inst.blobs.pathOf(sha256(bytes))), bytes);
    assert.deepEqual(h.inst.blobs.temporaryFiles(), []);
    // Not yet published: only the owning endorser (or an admin) may read the bytes back.
    const back = await fetch(`${h.url}/blobs/sha256/${sha256(bytes)}`, { headers: bearer(token) });
    assert.equal(sha256(Buffer.from(await back.arrayBuffer())), sha256(bytes));
  });

  test('the file part may come before the metadata', async () => {
    const bytes = testBytes(100_000, 'file-first');
    const r = await fetch(`${h.url}/api/v1/endorsers/cern/images`, {
      method: 'POST',
      headers: bearer(token),
      body: form({ title: 'File first' }, bytes, true),
    });
    assert.equal(r.status, 201);
    assert.equal(((await r.json()) as { sha256: string }).sha256, sha256(bytes));
  });

  test('registration refused after the bytes arrived: no image row, no blob left', async () => {
    const before = await imageCount(h);
    const bytes = testBytes(200_000, 'refused');
    const r = await fetch(`${h.url}/api/v1/endorsers/cern/images`, {
      method: 'POST',
      headers: bearer(token),
      body: form({ description: 'no title' }, bytes, true),
    });
    assert.equal(r.status, 400);
    assert.equal((await problemOf(r)).code, 'BAD_REQUEST');
    assert.equal(await imageCount(h), before);
    assert.equal(h.inst.blobs.has(sha256(bytes)), false);
    assert.deepEqual(h.inst.blobs.temporaryFiles(), []);

    const unknownField = await fetch(`${h.url}/api/v1/endorsers/cern/images`, {
      method: 'POST',
      headers: bearer(token),
      body: form({ title: 'x', sealedKey: 'y' }, bytes, true),
    });
    assert.equal(unknownField.status, 400);
    assert.equal(h.inst.blobs.has(sha256(bytes)), false);
  });

  test('an upload aborted mid-stream leaves no image row and no temporary file', async () => {
    const before = await imageCount(h);
    const blobsBefore = blobFiles(h);
    const boundary = 'vmic-abort-boundary';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nAborted\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="d.img"\r\n` +
        `Content-Type: application/octet-stream\r\n\r\n`,
    );
    const total = 4 * 1024 * 1024;
    const url = new URL(`${h.url}/api/v1/endorsers/cern/images`);
    const req = http.request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: {
        ...bearer(token),
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(head.length + total + 100),
      },
    });
    req.on('error', () => {});
    req.write(head);
    req.write(testBytes(total / 2, 'aborted'));
    // Wait until the server has started the upload, then cut the connection.
    await eventually(() => h.inst.blobs.temporaryFiles().length > 0, 'upload started');
    req.destroy();
    await eventually(() => h.inst.blobs.temporaryFiles().length === 0, 'temporary file removed');
    assert.equal(await imageCount(h), before);
    assert.deepEqual(blobFiles(h), blobsBefore);
  });

  test('oversize upload: 413 problem, nothing stored', async () => {
    const before = await imageCount(h);
    const blobsBefore = blobFiles(h);
    const bytes = testBytes(8 * 1024 * 1024 + 1, 'too big');
    const r = await fetch(`${h.url}/api/v1/endorsers/cern/images`, {
      method: 'POST',
      headers: bearer(token),
      body: form({ title: 'Too big' }, bytes),
    });
    assert.equal(r.status, 413);
    assert.equal((await problemOf(r)).code, 'TOO_LARGE');
    assert.equal(await imageCount(h), before);
    assert.deepEqual(blobFiles(h), blobsBefore);
    assert.deepEqual(h.inst.blobs.temporaryFiles(), []);
  });

  test('a declared oversize body is refused before it is read', async () => {
    const url = new URL(`${h.url}/api/v1/endorsers/cern/images`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          ...bearer(token),
          'content-type': 'multipart/form-data; boundary=x',
          'content-length': String(1024 ** 4),
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('--x\r\n');
    });
    assert.equal(status, 413);
  });

  test('register by URL (JSON), update metadata, withdraw', async () => {
    const base = `${h.url}/api/v1/endorsers/cern/images`;
    const json = { ...bearer(token), 'content-type': 'application/json' };
    let r = await fetch(base, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({
        url: 'https://mirror.example/alma.raw',
        sha256: 'AB'.repeat(32),
        size: 42,
        title: 'Alma',
        identifier: 'alma-9',
      }),
    });
    assert.equal(r.status, 201);
    assert.equal(((await r.json()) as { sha256: string }).sha256, 'ab'.repeat(32));
    r = await fetch(`${base}/alma-9`, {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ description: 'AlmaLinux 9' }),
    });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { description: string }).description, 'AlmaLinux 9');
    r = await fetch(`${base}/alma-9`, {
      method: 'PATCH',
      headers: json,
      body: JSON.stringify({ sha256: 'cd'.repeat(32) }),
    });
    assert.equal(r.status, 400);
    r = await fetch(`${base}/alma-9/withdraw`, { method: 'POST', headers: bearer(token) });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { status: string }).status, 'withdrawn');
    r = await fetch(`${base}?status=withdrawn`, { headers: bearer(token) });
    const list = (await r.json()) as { images: { identifier: string }[] };
    assert.deepEqual(
      list.images.map((i) => i.identifier),
      ['alma-9'],
    );
    r = await fetch(`${base}/nope/withdraw`, { method: 'POST', headers: bearer(token) });
    assert.equal(r.status, 404);
    r = await fetch(base, { method: 'POST', headers: json, body: '{"url": ' });
    assert.equal(r.status, 400);
    assert.equal((await problemOf(r)).code, 'BAD_REQUEST');
  });
});
