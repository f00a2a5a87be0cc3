import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buildDemoHierarchy, derToPem } from '../../../../pki/index.ts';
import { publishCatalog } from '../../../../catalog/publish.ts';
import { addTrustMaterial } from '../../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../../catalog/site/import-run.ts';
import { approveEndorser } from '../../../../catalog/site/approvals.ts';
import { fetchImages, type FetchSummary } from '../../../../catalog/site/fetch-images.ts';
import type { BlobStore } from '../../../../catalog/blobs/blob-store.ts';
import {
  addPublishedEndorser,
  demoEndorserIdentity,
} from '../../../../scripts/fixtures/published-endorser.ts';
import {
  removeDirs,
  serve,
  tempDir,
  type Served,
} from '../../../integration/helpers/log-instances.ts';

/**
 * A served endorser whose catalog signs software inventories, and a site that imported,
 * approved and fetched it, both real instances on loopback:
 *   debian12      a small Debian-flavoured CycloneDX SBOM (openssl 3.0.11-1~deb12u2)
 *   node-cdx      `npm sbom --sbom-format cyclonedx` over this project (a real generator)
 *   node-spdx     `npm sbom --sbom-format spdx` over this project
 *   tampered      an SBOM whose bytes the endorser host then swaps (same size, other bytes):
 *                 a mirror serving other bytes
 *   plain         no SBOM at all
 * The SBOMs are set on the endorser's image rows and stored as blobs directly (the
 * endorser's own attach command is not what these tests are about), then published.
 */
export const DEBIAN_SBOM = {
  bomFormat: 'CycloneDX',
  specVersion: '1.5',
  version: 1,
  components: [
    {
      type: 'library',
      name: 'openssl',
      version: '3.0.11-1~deb12u2',
      purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12',
      components: [
        {
          type: 'library',
          name: 'libssl3',
          version: '3.0.11-1~deb12u2',
          purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64',
        },
      ],
    },
    {
      type: 'library',
      name: 'libc6',
      version: '2.36-9+deb12u3',
      purl: 'pkg:deb/debian/libc6@2.36-9+deb12u3',
    },
    { type: 'library', name: 'vendor-agent', version: '1.4' },
  ],
};

export interface InventorySites {
  endorser: Served;
  site: Served;
  /** The first fetch's summary. */
  fetched: FetchSummary;
  /** The SHA-256 of each image's SBOM as signed. */
  sboms: Record<string, string>;
  /** `npm sbom` CycloneDX document of this project, as parsed JSON. */
  npmCycloneDx: { components: { name: string; version: string; purl?: string }[] };
  close(): Promise<void>;
}

export function npmSbom(format: 'cyclonedx' | 'spdx'): Buffer {
  return execFileSync('npm', ['sbom', '--sbom-format', format, '--omit', 'dev'], {
    cwd: path.resolve('.'),
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
}

export async function inventorySites(): Promise<InventorySites> {
  const h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  const endorser = await serve(tempDir('inv-endorser'));
  const site = await serve(tempDir('inv-site'));
  const names = ['debian12', 'node-cdx', 'node-spdx', 'tampered', 'plain'];
  await addPublishedEndorser(endorser.inst, {
    name: 'cern',
    identity: await demoEndorserIdentity(h),
    images: {
      synthetic: names.map((identifier) => ({
        identifier,
        metadata: { title: `Image ${identifier}` },
        size: 4096,
      })),
    },
    actor: 'test',
    publish: false,
  });
  const cdx = npmSbom('cyclonedx');
  const docs: Record<string, { bytes: Buffer; mediaType: string }> = {
    debian12: {
      bytes: Buffer.from(JSON.stringify(DEBIAN_SBOM)),
      mediaType: 'application/vnd.cyclonedx+json',
    },
    'node-cdx': { bytes: cdx, mediaType: 'application/vnd.cyclonedx+json' },
    'node-spdx': { bytes: npmSbom('spdx'), mediaType: 'application/spdx+json' },
    tampered: {
      bytes: Buffer.from(JSON.stringify({ ...DEBIAN_SBOM, serialNumber: 'urn:uuid:tampered' })),
      mediaType: 'application/vnd.cyclonedx+json',
    },
  };
  const sboms: Record<string, string> = {};
  for (const [identifier, doc] of Object.entries(docs)) {
    const digest = await endorser.inst.blobs.ingest(Readable.from([doc.bytes]), {
      maxBytes: 64 * 1024 * 1024,
      sha512: false,
    });
    sboms[identifier] = digest.sha256;
    await endorser.inst.store.db
      .updateTable('images')
      .set({
        sbom_sha256: digest.sha256,
        sbom_media_type: doc.mediaType,
        sbom_byte_size: digest.size,
      })
      .where('identifier', '=', identifier)
      .execute();
  }
  await publishCatalog(endorser.inst, { endorser: 'cern', actor: 'test' });
  // The host now serves other bytes (same size) for the tampered image's SBOM.
  const swapped = Buffer.from(
    JSON.stringify({ ...DEBIAN_SBOM, serialNumber: 'urn:uuid:swapped!' }),
  );
  fs.writeFileSync((endorser.inst.blobs as BlobStore).pathOf(sboms.tampered!), swapped);

  const trust =
    [h.root.certificate, h.intermediate.certificate]
      .map((c) => derToPem(c, 'CERTIFICATE'))
      .join('') + [h.crl, h.rootCrl].map((c) => derToPem(c, 'X509 CRL')).join('');
  await addTrustMaterial(site.inst, trust, 'test');
  await subscribe(site.inst, {
    url: `${endorser.url}/feeds/cern/`,
    expectSubject: 'CN=vmic Demo Endorser,O=vmic demo,C=CH',
    actor: 'test',
  });
  const [imported] = await runImport(site.inst, { subscription: 'cern', actor: 'test' });
  if (imported?.status !== 'applied') throw new Error(`import: ${imported?.message}`);
  await approveEndorser(site.inst, { subscription: 'cern', actor: 'test' });
  const fetched = await fetchImages(site.inst, { actor: 'test' });
  return {
    endorser,
    site,
    fetched,
    sboms,
    npmCycloneDx: JSON.parse(cdx.toString('utf8')) as InventorySites['npmCycloneDx'],
    close: async () => {
      await site.close();
      await endorser.close();
      removeDirs(endorser.dir, site.dir);
    },
  };
}
