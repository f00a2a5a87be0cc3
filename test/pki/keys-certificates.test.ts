import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { webcrypto } from 'node:crypto';
import {
  createCrl,
  createCsr,
  derToPem,
  describeCertificate,
  exportPrivateKeyPkcs8,
  generateKeyPair,
  importPrivateKey,
  issueCertificate,
  pemToDers,
} from '../../pki/index.ts';
import type { KeyAlgorithm } from '../../pki/index.ts';
import { rejectsWith } from './assert-code.ts';
import { openssl, withTempDir } from '../helpers/openssl/index.ts';

const NOW = new Date('2030-01-01T00:00:00Z');
const LATER = new Date('2031-01-01T00:00:00Z');
const algorithms: KeyAlgorithm[] = ['RSA-2048', 'ECDSA-P256', 'ECDSA-P384'];

for (const alg of algorithms) {
  describe(`round trips with ${alg}`, () => {
    test('PKCS#8 export and import (DER and PEM) yield a working signing key', async () => {
      const keys = await generateKeyPair(alg);
      const der = await exportPrivateKeyPkcs8(keys.privateKey);
      for (const input of [der, derToPem(der, 'PRIVATE KEY')]) {
        const key = await importPrivateKey(input);
        const params =
          key.algorithm.name === 'ECDSA'
            ? { name: 'ECDSA', hash: 'SHA-256' }
            : { name: 'RSASSA-PKCS1-v1_5' };
        const data = new TextEncoder().encode('round trip');
        const sig = await webcrypto.subtle.sign(params, key, data);
        assert.ok(await webcrypto.subtle.verify(params, keys.publicKey, sig, data));
      }
    });

    test('self-signed CA, leaf, CSR and CRL describe and verify with OpenSSL', async () => {
      const caKeys = await generateKeyPair(alg);
      const ca = await issueCertificate({
        subject: 'CN=Round Trip CA,O=vmic tests,C=CH',
        publicKey: caKeys.publicKey,
        signingKey: caKeys.privateKey,
        serialNumber: '0a1b',
        notBefore: NOW,
        notAfter: LATER,
        ca: { pathLength: 1 },
        keyUsage: ['keyCertSign', 'cRLSign'],
      });
      const info = describeCertificate(ca);
      assert.equal(info.subject, 'CN=Round Trip CA,O=vmic tests,C=CH');
      assert.equal(info.issuer, info.subject);
      assert.equal(info.serialNumber, '0a1b');
      assert.equal(info.isCA, true);
      assert.equal(info.pathLength, 1);
      assert.deepEqual(info.keyUsage, ['keyCertSign', 'cRLSign']);
      assert.equal(info.publicKeyAlgorithm, alg);
      assert.deepEqual([info.notBefore, info.notAfter], [NOW, LATER]);
      assert.match(info.fingerprintSha256, /^[0-9a-f]{64}$/);

      const leafKeys = await generateKeyPair(alg);
      const leaf = await issueCertificate({
        subject: 'CN=Round Trip Leaf,O=vmic tests,C=CH',
        publicKey: leafKeys.publicKey,
        issuer: { certificate: ca, privateKey: caKeys.privateKey },
        notBefore: NOW,
        notAfter: LATER,
        keyUsage: ['digitalSignature'],
        extKeyUsage: ['codeSigning'],
      });
      const leafInfo = describeCertificate(leaf);
      assert.equal(leafInfo.issuer, info.subject);
      assert.equal(leafInfo.isCA, false);
      assert.deepEqual(leafInfo.extKeyUsage, ['1.3.6.1.5.5.7.3.3']);

      const csr = await createCsr({ subject: 'CN=Requester,O=vmic tests,C=CH', keys: leafKeys });
      const crl = await createCrl({
        issuer: { certificate: ca, privateKey: caKeys.privateKey },
        thisUpdate: NOW,
        nextUpdate: LATER,
        revoked: [{ serialNumber: leafInfo.serialNumber, revocationDate: NOW }],
        crlNumber: 7,
      });

      await withTempDir(async (dir) => {
        await writeFile(join(dir, 'ca.pem'), derToPem(ca, 'CERTIFICATE'));
        await writeFile(join(dir, 'leaf.pem'), derToPem(leaf, 'CERTIFICATE'));
        await writeFile(join(dir, 'csr.pem'), derToPem(csr, 'CERTIFICATE REQUEST'));
        await writeFile(join(dir, 'crl.pem'), derToPem(crl, 'X509 CRL'));
        const attime = String(NOW.getTime() / 1000 + 60);
        const v = openssl(
          ['verify', '-x509_strict', '-attime', attime, '-CAfile', 'ca.pem', 'leaf.pem'],
          { cwd: dir },
        );
        assert.equal(v.status, 0, v.stderr);
        const r = openssl(
          ['req', '-in', 'csr.pem', '-noout', '-verify', '-subject', '-nameopt', 'RFC2253'],
          { cwd: dir },
        );
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout.toString(), /CN=Requester,O=vmic tests,C=CH/);
        const c = openssl(['crl', '-in', 'crl.pem', '-CAfile', 'ca.pem', '-noout', '-text'], {
          cwd: dir,
        });
        assert.equal(c.status, 0, c.stderr);
        assert.match(c.stderr + c.stdout.toString(), /verify OK/);
        assert.match(c.stdout.toString(), new RegExp(leafInfo.serialNumber.toUpperCase()));
        // The revoked leaf must now fail an independent CRL check.
        const rv = openssl(
          [
            'verify',
            '-crl_check',
            '-attime',
            attime,
            '-CAfile',
            'ca.pem',
            '-CRLfile',
            'crl.pem',
            'leaf.pem',
          ],
          { cwd: dir },
        );
        assert.notEqual(rv.status, 0);
      });
    });
  });
}

test('the CSR carries the requester public key', async () => {
  const keys = await generateKeyPair('ECDSA-P256');
  const csr = await createCsr({ subject: 'CN=x', keys });
  await withTempDir(async (dir) => {
    await writeFile(join(dir, 'csr.der'), csr);
    const pub = openssl(['req', '-inform', 'DER', '-in', 'csr.der', '-pubkey', '-noout'], {
      cwd: dir,
    });
    const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
    assert.ok(createPublicKey(pub.stdout).export({ format: 'der', type: 'spki' }).equals(spki));
  });
});

test('pemToDers reads every block, filters by label and rejects garbage', async () => {
  const a = new Uint8Array([1, 2, 3]);
  const b = new Uint8Array([4, 5, 6, 7]);
  const text = `junk\n${derToPem(a, 'CERTIFICATE')}${derToPem(b, 'X509 CRL')}`;
  assert.deepEqual(pemToDers(text), [a, b]);
  assert.deepEqual(pemToDers(text, 'X509 CRL'), [b]);
  await rejectsWith(() => pemToDers('no pem here'), 'MALFORMED');
  await rejectsWith(() => pemToDers('-----BEGIN X-----\n@@@\n-----END X-----\n'), 'MALFORMED');
  await rejectsWith(() => pemToDers('-----BEGIN X-----\nAAAA\n-----END Y-----\n'), 'MALFORMED');
});

test('garbage certificates and keys are MALFORMED', async () => {
  await rejectsWith(() => describeCertificate(new Uint8Array([0x30, 0x03, 1, 2, 3])), 'MALFORMED');
  await rejectsWith(() => describeCertificate(new TextEncoder().encode('hello')), 'MALFORMED');
  await rejectsWith(importPrivateKey(new Uint8Array([1, 2, 3])), 'MALFORMED');
});
