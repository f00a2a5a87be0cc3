import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { test } from 'node:test';
import {
  buildDemoHierarchy,
  describeCertificate,
  validatePath,
  writeDemoHierarchy,
} from '../../pki/index.ts';
import { epochSeconds, openssl, withTempDir } from '../helpers/openssl/index.ts';

const NOW = new Date('2030-03-01T10:00:00Z');

test('demo hierarchy: files, key modes, usages, and OpenSSL accepts the chains with CRLs', async () => {
  const h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: NOW });
  assert.deepEqual(describeCertificate(h.site.certificate).keyUsage, [
    'digitalSignature',
    'keyAgreement',
  ]);
  assert.equal(describeCertificate(h.intermediate.certificate).pathLength, 0);
  const chain = await validatePath({
    leaf: h.endorser.certificate,
    intermediates: [h.intermediate.certificate],
    anchors: [h.root.certificate],
    crls: [h.crl, h.rootCrl],
    time: NOW,
    revocation: 'require',
  });
  assert.equal(chain.chain.length, 3);
  await withTempDir(async (dir) => {
    const files = await writeDemoHierarchy(h, dir);
    assert.ok(files.map((f) => basename(f)).includes('endorser-chain.pem'));
    for (const key of ['endorser.key', 'site.key', 'root-ca.key', 'intermediate-ca.key']) {
      assert.equal((await stat(`${dir}/${key}`)).mode & 0o777, 0o600);
    }
    for (const leaf of ['endorser', 'site']) {
      const r = openssl(
        [
          'verify',
          '-x509_strict',
          '-crl_check_all',
          '-attime',
          epochSeconds(NOW),
          '-CAfile',
          'anchors.pem',
          '-untrusted',
          `${leaf}-chain.pem`,
          '-CRLfile',
          'crl.pem',
          '-CRLfile',
          'root-crl.pem',
          `${leaf}.pem`,
        ],
        { cwd: dir },
      );
      assert.equal(r.status, 0, r.stderr);
    }
  });
});
