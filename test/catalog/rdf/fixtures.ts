import { createHash } from 'node:crypto';
import type { CatalogDocument, CatalogImage } from '../../../catalog/rdf/index.ts';

const PUBLIC_URL = 'https://endorser.example';

export function makeImage(i: number, feed = `${PUBLIC_URL}/feeds/cern`): CatalogImage {
  const identifier = `3f0b6c1e-0000-4000-8000-${String(i).padStart(12, '0')}`;
  const iri = `${feed}/images/${identifier}`;
  const sha256 = createHash('sha256').update(`image ${i}`).digest('hex');
  return {
    iri,
    identifier,
    title: `Ubuntu 24.04 LTS server #${i}`,
    ...(i % 2 === 0
      ? { description: 'Minimal server image,\nwith "cloud-init" \\ enabled — ÜÖ ✓ 𝄞' }
      : {}),
    version: '20261101',
    osFamily: 'linux',
    osName: 'Ubuntu',
    osVersion: '24.04',
    arch: i % 3 === 0 ? 'aarch64' : 'x86_64',
    hypervisor: 'kvm',
    distribution: {
      iri: `${iri}#disk`,
      downloadUrl: `${PUBLIC_URL}/blobs/sha256/${sha256}`,
      format: 'qcow2',
      byteSize: 2361393152 + i,
      sha256,
      checksumIri: `${iri}#sha256`,
    },
    // Some images carry the optional parts: an inventory, policy claims, a derivation.
    ...(i % 4 === 1
      ? {
          sbom: {
            iri: `${iri}#sbom`,
            downloadUrl: `${PUBLIC_URL}/blobs/sha256/${createHash('sha256').update(`sbom ${i}`).digest('hex')}`,
            byteSize: 4096 + i,
            sha256: createHash('sha256').update(`sbom ${i}`).digest('hex'),
            checksumIri: `${iri}#sbom-sha256`,
            mediaType: i % 8 === 1 ? 'application/spdx+json' : 'application/vnd.cyclonedx+json',
          } as const,
        }
      : {}),
    ...(i % 3 === 0
      ? {
          conformsTo: [
            'https://documents.egi.eu/document/771',
            'https://wlcg.example/policy/vm-images#v2',
          ],
        }
      : {}),
    ...(i % 5 === 2
      ? {
          derivedFrom: {
            iri: `${iri}#derivation`,
            image: `https://upstream.example/feeds/a/images/img-${i}`,
            catalog: 'https://upstream.example/feeds/a/catalog',
            sequence: 12,
            catalogSha256: createHash('sha256').update(`upstream ${i}`).digest('hex'),
            x509Subject: 'CN=Upstream Endorser,O=A,C=CH',
            x509Issuer: 'CN=Upstream CA,O=A,C=CH',
          },
        }
      : {}),
  };
}

export function makeCatalog(imageCount: number): CatalogDocument {
  const feed = `${PUBLIC_URL}/feeds/cern`;
  return {
    iri: `${feed}/catalog`,
    title: 'CERN "endorsed" images\nÜ\\',
    issued: new Date('2026-11-01T10:00:00Z'),
    sequence: 42,
    expires: new Date('2026-12-01T10:00:00Z'),
    publisher: {
      iri: `${feed}#endorser`,
      name: 'CERN IT',
      x509Subject: 'CN=CERN Image Endorser,O=CERN,C=CH',
      x509Issuer: 'CN=Example Intermediate CA,O=Example,C=CH',
    },
    images: Array.from({ length: imageCount }, (_, i) => makeImage(i, feed)),
    conformsTo: ['https://documents.egi.eu/document/771'],
  };
}
