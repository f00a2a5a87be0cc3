import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  addEndorser,
  addImageFromStream,
  createToken,
  openInstance,
  publishCatalog,
  resolveConfig,
} from '../../catalog/index.ts';
import { startServer } from '../../server/index.ts';
import { onObjectStore, testBackend } from '../helpers/backends.ts';
import { opensslIdentity } from '../helpers/openssl/index.ts';
import { bearer, sha256, testBytes } from './harness.ts';

/**
 * `GET /blobs/…` on a bucket configured with `&redirect=presigned`: published bytes are a
 * 307 to a short-lived presigned URL (the store then serves them, Range included);
 * unpublished ones are still proxied, for their owner only. On disk there is no such
 * option, and bytes are always streamed by the server.
 */
test('presigned redirects for published blobs (bucket), streaming otherwise', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-presign-'));
  const backend = await testBackend();
  const blobUrl = backend.blobUrl && `${backend.blobUrl}&redirect=presigned&presign-seconds=60`;
  const config = resolveConfig({
    dataDir: dir,
    databaseUrl: backend.databaseUrl,
    blobUrl,
    publicUrl: 'http://vmic.test',
    env: {},
  });
  const inst = await openInstance(config, { env: {} });
  const logs: string[] = [];
  const server = await startServer(
    inst,
    { host: '127.0.0.1', port: 0 },
    { log: (l) => logs.push(l) },
  );
  try {
    const id = opensslIdentity(dir, { name: 'presign' });
    await addEndorser(inst, {
      name: 'cern',
      title: 'CERN',
      certificatePem: id.certificatePem,
      keyPem: id.keyPem,
      actor: 'test',
    });
    const add = (name: string, bytes: Buffer) =>
      addImageFromStream(inst, {
        endorser: 'cern',
        identifier: name,
        metadata: { title: name },
        source: Readable.from([bytes]),
        actor: 'test',
      });
    const published = testBytes(300_000, 'published');
    await add('published', published);
    await publishCatalog(inst, { endorser: 'cern', actor: 'test' });
    const embargoed = testBytes(100_000, 'embargoed');
    await add('embargoed', embargoed);

    const url = `${server.url}/blobs/sha256/${sha256(published)}`;
    const r = await fetch(url, { redirect: 'manual' });
    if (onObjectStore()) {
      assert.equal(r.status, 307);
      assert.equal(
        r.headers.get('cache-control'),
        'no-store',
        'a signed URL expires: never cached',
      );
      const location = r.headers.get('location')!;
      assert.match(location, /X-Amz-Signature=/);
      assert.match(location, /X-Amz-Expires=60/);
      const ranged = await fetch(location, { headers: { range: 'bytes=100-199' } });
      assert.equal(ranged.status, 206);
      assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), published.subarray(100, 200));
    } else {
      assert.equal(inst.blobs.presignedUrl, undefined);
      assert.equal(r.status, 200);
      assert.equal(sha256(Buffer.from(await r.arrayBuffer())), sha256(published));
    }
    // Not public yet: never a URL that anyone holding it could use.
    const admin = (await createToken(inst, { role: 'admin', ttlSeconds: 600, actor: 'test' }))
      .token;
    const own = await fetch(`${server.url}/blobs/sha256/${sha256(embargoed)}`, {
      headers: bearer(admin),
      redirect: 'manual',
    });
    assert.equal(own.status, 200);
    assert.equal(own.headers.get('cache-control'), 'private, no-store');
    assert.equal(sha256(Buffer.from(await own.arrayBuffer())), sha256(embargoed));
    assert.deepEqual(logs, []);
  } finally {
    await server.close();
    await inst.close();
    await backend.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
