/**
 * Two Instances opened on one store stand for two processes (on SQLite: two connections
 * to one file; on PostgreSQL: two pools, as two replicas have). Their writes race for the
 * same read-then-write steps that writeTransaction serialises (write-transaction.ts): the
 * catalog sequence and the audit chain head. Whatever the backend, every publish must get
 * its own sequence, with no gap, and the audit chain must stay one unbroken chain.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  addEndorser,
  listCatalogVersions,
  openInstance,
  publishCatalog,
  registerImageByUrl,
  resolveConfig,
  type Instance,
} from '../../../catalog/index.ts';
import { verifyAuditChain } from '../../../catalog/audit/audit-log.ts';
import { testBackend } from '../../helpers/backends.ts';
import { opensslIdentity } from '../../helpers/openssl/index.ts';

const PUBLISHES = 20;

async function twoInstancesOnOneStore() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-writers-'));
  const backend = await testBackend();
  const config = resolveConfig({
    dataDir: dir,
    databaseUrl: backend.databaseUrl,
    blobUrl: backend.blobUrl,
    publicUrl: 'https://endorser.example',
    env: {},
  });
  // One after the other: the first creates the master key file the second reads.
  const a = await openInstance(config, { env: {} });
  const b = await openInstance(config, { env: {} });
  return {
    a,
    b,
    dir,
    cleanup: async () => {
      await a.close();
      await b.close();
      await backend.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function endorserWithImage(inst: Instance, dir: string): Promise<void> {
  const id = opensslIdentity(dir, { name: 'cern', alg: 'ec' });
  await addEndorser(inst, {
    name: 'cern',
    title: 'CERN IT',
    certificatePem: id.certificatePem,
    keyPem: id.keyPem,
    actor: 'test',
  });
  await registerImageByUrl(inst, {
    endorser: 'cern',
    identifier: 'alma',
    metadata: { title: 'AlmaLinux 9' },
    actor: 'test',
    url: 'https://mirror.example/alma.qcow2',
    sha256: 'ab'.repeat(32),
    // Past 2^32: sizes are 64-bit on both stores (bigint on PostgreSQL).
    size: 64 * 1024 ** 3,
  });
}

test(`${PUBLISHES} concurrent publishes from two instances: sequences 1..${PUBLISHES}, one audit chain`, async () => {
  const t = await twoInstancesOnOneStore();
  try {
    await endorserWithImage(t.a, t.dir);
    const published = await Promise.all(
      Array.from({ length: PUBLISHES }, (_, i) =>
        publishCatalog(i % 2 === 0 ? t.a : t.b, { endorser: 'cern', actor: `writer-${i % 2}` }),
      ),
    );
    const expected = Array.from({ length: PUBLISHES }, (_, i) => i + 1);
    assert.deepEqual(
      published.map((p) => p.sequence).sort((x, y) => x - y),
      expected,
      'each publish got its own sequence',
    );
    // Both instances see the same versions, newest first.
    for (const inst of [t.a, t.b]) {
      const versions = await listCatalogVersions(inst, 'cern');
      assert.deepEqual(
        versions.map((v) => v.sequence),
        [...expected].reverse(),
      );
    }

    const verdict = await verifyAuditChain(t.b.store.db);
    assert.equal(verdict.ok, true, JSON.stringify(verdict));
    // endorser.added, image.added, then one entry per publish, in sequence order: the
    // audit entry commits with the version it records.
    assert.equal(verdict.entries, PUBLISHES + 2);
    const entries = await t.a.store.db
      .selectFrom('audit_log')
      .select(['seq', 'details'])
      .where('action', '=', 'catalog.published')
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      entries.map((e) => (JSON.parse(e.details) as { sequence: number }).sequence),
      expected,
    );

    const image = await t.b.store.db
      .selectFrom('images')
      .select('byte_size')
      .executeTakeFirstOrThrow();
    assert.equal(image.byte_size, 64 * 1024 ** 3);
  } finally {
    await t.cleanup();
  }
});
