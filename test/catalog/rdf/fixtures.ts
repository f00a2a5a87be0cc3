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
  };
}
