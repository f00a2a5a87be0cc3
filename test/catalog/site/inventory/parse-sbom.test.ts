import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PACKAGES, parseInventory } from '../../../../catalog/site/inventory/parse-sbom.ts';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const CDX = 'application/vnd.cyclonedx+json';
const SPDX = 'application/spdx+json';

test('CycloneDX: nested components, purls parsed, a component without purl kept by name', () => {
  const r = parseInventory(
    json({
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      components: [
        {
          name: 'openssl',
          version: '3.0.11-1~deb12u2',
          purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64',
          components: [{ name: 'libssl3', version: '3.0.11-1~deb12u2' }],
        },
        { name: 'weird', version: '1', purl: 'not a purl' },
      ],
    }),
    CDX,
  );
  assert.ok(r.ok);
  assert.deepEqual(
    r.packages.map((p) => [p.type, p.namespace, p.name, p.version]),
    [
      ['deb', 'debian', 'openssl', '3.0.11-1~deb12u2'],
      [null, null, 'weird', '1'],
      [null, null, 'libssl3', '3.0.11-1~deb12u2'],
    ],
  );
});

test('SPDX 2.3: purl external references, else name and versionInfo', () => {
  const r = parseInventory(
    json({
      spdxVersion: 'SPDX-2.3',
      packages: [
        {
          name: 'semver',
          versionInfo: '7.6.3',
          externalRefs: [
            {
              referenceCategory: 'PACKAGE-MANAGER',
              referenceType: 'purl',
              referenceLocator: 'pkg:npm/semver@7.6.3',
            },
          ],
        },
        { name: 'kernel', versionInfo: '6.1.0' },
      ],
    }),
    SPDX,
  );
  assert.ok(r.ok);
  assert.deepEqual(
    r.packages.map((p) => [p.purl, p.type, p.name, p.version]),
    [
      ['pkg:npm/semver@7.6.3', 'npm', 'semver', '7.6.3'],
      [null, null, 'kernel', '6.1.0'],
    ],
  );
});

test('hostile documents are refused as a whole, never cut short', () => {
  const many = {
    bomFormat: 'CycloneDX',
    components: Array.from({ length: MAX_PACKAGES + 1 }, (_, i) => ({ name: `p${i}` })),
  };
  const r1 = parseInventory(json(many), CDX);
  assert.ok(!r1.ok && /more than/.test(r1.problem));
  let deep: Record<string, unknown> = { name: 'leaf' };
  for (let i = 0; i < 100; i++) deep = { name: `n${i}`, components: [deep] };
  const r2 = parseInventory(json({ bomFormat: 'CycloneDX', components: [deep] }), CDX);
  assert.ok(!r2.ok && /nested deeper/.test(r2.problem));
  const r3 = parseInventory(json({ spdxVersion: 'SPDX-2.3', packages: [] }), CDX);
  assert.ok(!r3.ok && /signed as CycloneDX/.test(r3.problem));
  const r4 = parseInventory(Buffer.from('{'), CDX);
  assert.ok(!r4.ok && /not JSON/.test(r4.problem));
});
