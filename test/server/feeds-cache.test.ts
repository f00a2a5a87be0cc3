import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publishCatalog, registerImageByUrl } from '../../catalog/index.ts';
import { overwriteStored, readStored } from '../catalog/blobs/stored-objects.ts';
import { problemOf, sha256, startHarness } from './harness.ts';

/** Published files are served from memory (catalog/version-file-cache.ts) only once verified. */
test('a catalog file is served from memory only as the bytes its row names', async () => {
  const h = await startHarness();
  try {
    await registerImageByUrl(h.inst, {
      endorser: 'cern',
      identifier: 'img',
      metadata: { title: 'Image' },
      actor: 'test',
      url: 'https://mirror.example/img.qcow2',
      sha256: sha256('img'),
      size: 1000,
    });
    await publishCatalog(h.inst, { endorser: 'cern', actor: 'test' });
    const row = await h.inst.store.db
      .selectFrom('catalog_versions')
      .select(['id', 'p7m_sha256', 'p7m_size'])
      .executeTakeFirstOrThrow();
    const good = await readStored(h.inst.blobs, row.p7m_sha256!);
    const bad = Buffer.from(good);
    bad[0] = bad[0]! ^ 1;
    const url = `${h.url}/feeds/cern/catalog.p7m`;

    // Altered in the store before any request: refused, and refused again (nothing kept).
    await overwriteStored(h.inst.blobs, row.p7m_sha256!, bad);
    for (let i = 0; i < 2; i++) {
      const r = await fetch(url);
      assert.equal(r.status, 500);
      assert.equal((await problemOf(r)).code, 'INTERNAL');
    }
    assert.equal(h.logs.length, 2);
    assert.match(h.logs[0]!, /is not the \d+ bytes its row names/);

    // Repaired: served, and from then on from memory, whatever happens to the stored copy.
    await overwriteStored(h.inst.blobs, row.p7m_sha256!, good);
    for (const tamper of [false, true]) {
      if (tamper) await overwriteStored(h.inst.blobs, row.p7m_sha256!, bad);
      const r = await fetch(url);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('etag'), `"${row.p7m_sha256}"`);
      assert.equal(r.headers.get('content-length'), String(good.length));
      assert.ok(Buffer.from(await r.arrayBuffer()).equals(good));
    }

    // A row whose size disagrees with the kept bytes is not answered from memory.
    await h.inst.store.db
      .updateTable('catalog_versions')
      .set({ p7m_size: row.p7m_size! + 1 })
      .where('id', '=', row.id)
      .execute();
    const r = await fetch(url);
    assert.equal(r.status, 500);
    assert.equal((await problemOf(r)).code, 'INTERNAL');
  } finally {
    await h.close();
  }
});
