import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { addEndorser, addImageFromStream, type Instance } from '../../../catalog/index.ts';
import { attachSbom, detachSbom } from '../../../catalog/sbom/attach-sbom.ts';
import { sweepOrphanBlobs } from '../../../catalog/cleanup/orphan-blobs.ts';
import { iterateAudit, toAuditRecord } from '../../../catalog/audit/audit-log.ts';
import { opensslIdentity } from '../../helpers/openssl/index.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { generateNpmSboms, variant, type NpmSboms } from '../../fixtures/sbom/npm-sbom.ts';

let dir: string;
let npm: NpmSboms;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-sbom-attach-'));
  npm = generateNpmSboms(dir);
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function withImage(
  run: (inst: Instance, identifier: string) => Promise<void>,
): Promise<void> {
  const t = await tempInstance();
  try {
    const id = opensslIdentity(t.dir, { name: 'endorser-cern' });
    await addEndorser(t.inst, {
      name: 'cern',
      title: 'CERN',
      certificatePem: id.certificatePem,
      keyPem: id.keyPem,
      actor: 'test',
    });
    await addImageFromStream(t.inst, {
      endorser: 'cern',
      identifier: 'alma9',
      metadata: { title: 'AlmaLinux 9' },
      actor: 'test',
      source: Readable.from([crypto.randomBytes(4096)]),
    });
    await run(t.inst, 'alma9');
  } finally {
    await t.cleanup();
  }
}

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

async function readBlob(inst: Instance, hex: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of await inst.blobs.open(hex)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function auditActions(inst: Instance): Promise<{ action: string; details: unknown }[]> {
  const out: { action: string; details: unknown }[] = [];
  for await (const row of iterateAudit(inst.store.db)) {
    const r = toAuditRecord(row);
    out.push({ action: r.action, details: r.details });
  }
  return out.filter((r) => r.action.startsWith('image.sbom'));
}

test('attach stores the SBOM content-addressed, records it on the image and in the audit log', async () => {
  await withImage(async (inst, identifier) => {
    const bytes = fs.readFileSync(npm.cyclonedx);
    const img = await attachSbom(inst, { endorser: 'cern', identifier, actor: 'alice', bytes });
    assert.deepEqual(img.sbom, {
      sha256: sha256(bytes),
      mediaType: 'application/vnd.cyclonedx+json',
      byteSize: bytes.length,
    });
    assert.ok((await readBlob(inst, sha256(bytes))).equals(bytes));

    const spdx = fs.readFileSync(npm.spdx);
    const replaced = await attachSbom(inst, {
      endorser: 'cern',
      identifier,
      actor: 'alice',
      bytes: spdx,
    });
    assert.equal(replaced.sbom?.mediaType, 'application/spdx+json');
    const detached = await detachSbom(inst, { endorser: 'cern', identifier, actor: 'bob' });
    assert.equal(detached.sbom, undefined);
    assert.deepEqual(await auditActions(inst), [
      {
        action: 'image.sbom-attached',
        details: {
          sha256: sha256(bytes),
          byteSize: bytes.length,
          mediaType: 'application/vnd.cyclonedx+json',
          format: 'CycloneDX 1.5',
        },
      },
      {
        action: 'image.sbom-attached',
        details: {
          sha256: sha256(spdx),
          byteSize: spdx.length,
          mediaType: 'application/spdx+json',
          format: 'SPDX 2.3',
          replaced: sha256(bytes),
        },
      },
      {
        action: 'image.sbom-detached',
        details: { sha256: sha256(spdx), mediaType: 'application/spdx+json' },
      },
    ]);
  });
});

test('a refused SBOM stores nothing and leaves the image as it was', async () => {
  await withImage(async (inst, identifier) => {
    const bad = variant(npm.cyclonedx, 'refused.cdx.json', (d) => {
      delete (d.components as Record<string, unknown>[])[0]!.name;
    });
    const bytes = fs.readFileSync(bad);
    await assert.rejects(
      attachSbom(inst, { endorser: 'cern', identifier, actor: 'alice', bytes }),
      { code: 'MALFORMED' },
    );
    assert.equal(await inst.blobs.has(sha256(bytes)), false);
    assert.deepEqual(await auditActions(inst), []);
    await assert.rejects(
      attachSbom(inst, { endorser: 'cern', identifier: 'nope', actor: 'alice', bytes }),
      { code: 'NOT_FOUND' },
    );
  });
});

test('cleanup keeps an attached SBOM, and a detached one (an earlier catalog may list it)', async () => {
  await withImage(async (inst, identifier) => {
    const cdx = fs.readFileSync(npm.cyclonedx);
    const spdx = fs.readFileSync(npm.spdx);
    await attachSbom(inst, { endorser: 'cern', identifier, actor: 'alice', bytes: cdx });
    await attachSbom(inst, { endorser: 'cern', identifier, actor: 'alice', bytes: spdx });
    await detachSbom(inst, { endorser: 'cern', identifier, actor: 'alice' });
    await attachSbom(inst, { endorser: 'cern', identifier, actor: 'alice', bytes: cdx });
    // Past any grace period: only references keep a blob.
    const later = new Date(Date.now() + 30 * 86_400_000);
    assert.deepEqual(await sweepOrphanBlobs(inst, inst.store, later), []);
    assert.ok(await inst.blobs.has(sha256(cdx)));
    assert.ok(await inst.blobs.has(sha256(spdx)));
  });
});

test('new bytes under the same identifier drop the SBOM of the old bytes', async () => {
  await withImage(async (inst, identifier) => {
    const bytes = fs.readFileSync(npm.cyclonedx);
    await attachSbom(inst, { endorser: 'cern', identifier, actor: 'alice', bytes });
    const replaced = await addImageFromStream(inst, {
      endorser: 'cern',
      identifier,
      metadata: { title: 'AlmaLinux 9, rebuilt' },
      actor: 'test',
      source: Readable.from([crypto.randomBytes(4096)]),
    });
    assert.equal(replaced.sbom, undefined);
  });
});
