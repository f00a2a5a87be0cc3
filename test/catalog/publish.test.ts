import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import {
  addEndorser,
  addImageFromStream,
  getCatalogVersion,
  listCatalogVersions,
  publishCatalog,
  registerImageByUrl,
  withdrawImage,
} from '../../catalog/index.ts';
import { parseCanonicalCatalog } from '../../catalog/rdf/index.ts';
import { cmsVerifySignature, pemToDers } from '../../pki/index.ts';
import { trustedSignerChain } from '../../catalog/verify/index.ts';
import { opensslIdentity } from '../helpers/openssl/index.ts';
import { tempInstance } from '../helpers/temp-instance.ts';

async function endorserWithImages(alg: 'rsa' | 'ec') {
  // Just after now (the openssl certificate made below is valid from then), with a
  // sub-second part that publish must drop.
  let clock = Math.floor(Date.now() / 1000) * 1000 + 5750;
  const t = await tempInstance({
    now: () => new Date(clock),
    publicUrl: 'https://endorser.example',
  });
  const id = opensslIdentity(t.dir, { name: 'cern', alg });
  await addEndorser(t.inst, {
    name: 'cern',
    title: 'CERN IT',
    certificatePem: id.certificatePem,
    keyPem: id.keyPem,
    actor: 'test',
  });
  await addImageFromStream(t.inst, {
    endorser: 'cern',
    identifier: 'ubuntu',
    metadata: {
      title: 'Ubuntu "Noble"',
      arch: 'x86_64',
      format: 'qcow2',
      osName: 'Ubuntu',
      osVersion: '24.04',
      hypervisor: 'kvm',
    },
    actor: 'test',
    source: Readable.from([Buffer.alloc(100_000, 7)]),
  });
  await registerImageByUrl(t.inst, {
    endorser: 'cern',
    identifier: 'alma',
    metadata: { title: 'AlmaLinux 9' },
    actor: 'test',
    url: 'https://mirror.example/alma.qcow2',
    sha256: 'AB'.repeat(32),
    size: 123,
  });
  return { ...t, anchors: pemToDers(id.certificatePem), advance: (ms: number) => (clock += ms) };
}

for (const alg of ['rsa', 'ec'] as const) {
  test(`publish signs canonical N-Quads that verify and parse back (${alg})`, async () => {
    const t = await endorserWithImages(alg);
    try {
      const v = await publishCatalog(t.inst, {
        endorser: 'cern',
        expiresInSeconds: 7 * 86400,
        actor: 'test',
      });
      assert.equal(v.sequence, 1);
      const issued = Math.floor(t.inst.now().getTime() / 1000) * 1000;
      assert.equal(v.issuedAt, new Date(issued).toISOString());
      assert.equal(v.expiresAt, new Date(issued + 7 * 86400_000).toISOString());
      const files = await getCatalogVersion(t.inst, 'cern');
      const trust = { anchors: t.anchors, intermediates: [], crls: [] };
      const verified = await cmsVerifySignature({ cms: files.p7m });
      await trustedSignerChain(verified, trust, t.inst.now(), 'best-effort');
      assert.equal(Buffer.from(verified.content).toString('utf8'), files.nquads);
      const detached = await cmsVerifySignature({
        cms: files.p7s,
        detachedContent: Buffer.from(files.nquads),
      });
      await trustedSignerChain(detached, trust, t.inst.now(), 'best-effort');
      assert.equal(detached.signer.subject, 'CN=cern,O=vmic test,C=CH');
      const doc = await parseCanonicalCatalog(verified.content);
      assert.equal(doc.sequence, 1);
      assert.equal(doc.iri, 'https://endorser.example/feeds/cern/catalog');
      assert.equal(doc.publisher.x509Subject, 'CN=cern,O=vmic test,C=CH');
      const ubuntu = doc.images.find((i) => i.identifier === 'ubuntu')!;
      assert.equal(ubuntu.title, 'Ubuntu "Noble"');
      assert.equal(ubuntu.distribution.byteSize, 100_000);
      assert.match(
        ubuntu.distribution.downloadUrl,
        /^https:\/\/endorser\.example\/blobs\/sha256\/[0-9a-f]{64}$/,
      );
      const alma = doc.images.find((i) => i.identifier === 'alma')!;
      assert.equal(alma.distribution.sha256, 'ab'.repeat(32));
      assert.equal(alma.distribution.downloadUrl, 'https://mirror.example/alma.qcow2');
    } finally {
      await t.cleanup();
    }
  });
}

test('publishing twice gives n and n+1; old versions stay unchanged; withdrawn images leave the next one', async () => {
  const t = await endorserWithImages('ec');
  try {
    const v1 = await publishCatalog(t.inst, { endorser: 'cern', actor: 'test' });
    const first = await getCatalogVersion(t.inst, 'cern', 1);
    t.advance(5000);
    await withdrawImage(t.inst, { endorser: 'cern', identifier: 'alma', actor: 'test' });
    const v2 = await publishCatalog(t.inst, { endorser: 'cern', actor: 'test' });
    assert.equal(v2.sequence, v1.sequence + 1);
    assert.equal(v2.imageCount, 1);
    const again = await getCatalogVersion(t.inst, 'cern', 1);
    assert.deepEqual(Buffer.from(again.p7m), Buffer.from(first.p7m));
    assert.equal(again.nquads, first.nquads);
    const latest = await getCatalogVersion(t.inst, 'cern');
    assert.equal(latest.sequence, 2);
    assert.ok(!latest.nquads.includes('alma'));
    assert.deepEqual(
      (await listCatalogVersions(t.inst, 'cern')).map((v) => v.sequence),
      [2, 1],
    );
  } finally {
    await t.cleanup();
  }
});

test('expiry bounds are enforced and unknown endorsers are NOT_FOUND', async () => {
  const t = await endorserWithImages('ec');
  try {
    await assert.rejects(
      publishCatalog(t.inst, { endorser: 'cern', expiresInSeconds: 10, actor: 't' }),
      { code: 'BAD_REQUEST' },
    );
    await assert.rejects(
      publishCatalog(t.inst, { endorser: 'cern', expiresInSeconds: 400 * 86400, actor: 't' }),
      { code: 'BAD_REQUEST' },
    );
    await assert.rejects(publishCatalog(t.inst, { endorser: 'nobody', actor: 't' }), {
      code: 'NOT_FOUND',
    });
    await assert.rejects(getCatalogVersion(t.inst, 'cern'), { code: 'NOT_FOUND' });
  } finally {
    await t.cleanup();
  }
});
