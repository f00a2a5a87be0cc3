/**
 * Revocation never fails open (docs/design.md §6 step 5), on a hierarchy run by stock
 * `openssl ca`: CRLs with and without cRLNumber, a re-keyed intermediate, an issuer
 * without cRLSign, a CRL from another key, and a CRL written by Python `cryptography`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { describeCertificate, explainPath, pemToDers, validatePath } from '../../pki/index.ts';
import type { PathValidationInput } from '../../pki/index.ts';
import { rejectsWith } from './assert-code.ts';
import { pythonCrl } from './python-crl.ts';
import {
  opensslCrl,
  opensslIntermediate,
  opensslLeaf,
  opensslRevoke,
  opensslRoot,
  type IssuedCert,
  type OpensslCa,
} from '../helpers/openssl/index.ts';

const POLICIES = ['best-effort', 'require'] as const;
const crlDer = (pem: string) => pemToDers(pem, 'X509 CRL')[0] as Uint8Array;

let dir: string;
let root: OpensslCa;
let inter: OpensslCa;
let revoked: IssuedCert;
let good: IssuedCert;
let rootCrl: Uint8Array;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vmic-openssl-ca-'));
  root = opensslRoot(dir, 'root', '/CN=Openssl Test Root/O=Example');
  inter = opensslIntermediate(root, dir, 'inter', '/CN=Openssl Test Intermediate/O=Example');
  revoked = opensslLeaf(inter, 'revoked', '/CN=Revoked Endorser/O=Example');
  good = opensslLeaf(inter, 'good', '/CN=Good Endorser/O=Example');
  opensslRevoke(inter, revoked);
  rootCrl = crlDer(opensslCrl(root, { crlNumber: true }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function input(leaf: IssuedCert, crls: Uint8Array[], extra: Partial<PathValidationInput> = {}) {
  return {
    leaf: leaf.der,
    intermediates: [inter.der],
    anchors: [root.der],
    crls,
    time: new Date(),
    ...extra,
  } satisfies PathValidationInput;
}

describe('a revoked signer is refused under both policies', () => {
  for (const crlNumber of [true, false]) {
    test(`openssl ca CRL ${crlNumber ? 'with' : 'without'} cRLNumber → CERT_REVOKED`, async () => {
      const crl = crlDer(opensslCrl(inter, { crlNumber }));
      for (const revocation of POLICIES) {
        await rejectsWith(
          validatePath(input(revoked, [crl, rootCrl], { revocation })),
          'CERT_REVOKED',
          'crl.revoked',
        );
      }
    });
  }

  test('a revocation counts even in a CRL past its nextUpdate or not yet valid', async () => {
    const crl = crlDer(opensslCrl(inter, { crlNumber: true, crlDays: 1 }));
    const later = new Date(Date.now() + 3 * 86400_000);
    const earlier = new Date(Date.now() - 3600_000);
    for (const revocationTime of [later, earlier]) {
      await rejectsWith(
        validatePath(input(revoked, [crl, rootCrl], { revocationTime })),
        'CERT_REVOKED',
      );
    }
  });
});

describe('a CRL that cannot say "not revoked" fails the path under both policies', () => {
  test('no cRLNumber (openssl ca without a crlnumber file) → CRL_INVALID crl.crlNumber', async () => {
    const crl = crlDer(opensslCrl(inter, { crlNumber: false }));
    for (const revocation of POLICIES) {
      await rejectsWith(
        validatePath(input(good, [crl, rootCrl], { revocation })),
        'CRL_INVALID',
        'crl.crlNumber',
      );
    }
  });

  test('signed by another key with the issuer name → CRL_INVALID crl.signature', async () => {
    const impostor = opensslRoot(dir, 'impostor', '/CN=Openssl Test Intermediate/O=Example');
    const crl = crlDer(opensslCrl(impostor, { crlNumber: true }));
    for (const revocation of POLICIES) {
      await rejectsWith(
        validatePath(input(good, [crl, rootCrl], { revocation })),
        'CRL_INVALID',
        'crl.signature',
      );
    }
  });

  test('issuer without cRLSign: CRL_INVALID crl.issuerKeyUsage, but its revocation counts', async () => {
    const noSign = opensslIntermediate(root, dir, 'nosign', '/CN=No CRL Sign CA/O=Example', {
      crlSign: false,
    });
    const ok = opensslLeaf(noSign, 'ok', '/CN=Endorser A/O=Example');
    const bad = opensslLeaf(noSign, 'bad', '/CN=Endorser B/O=Example');
    opensslRevoke(noSign, bad);
    const crl = crlDer(opensslCrl(noSign, { crlNumber: true }));
    const at = (leaf: IssuedCert, revocation: (typeof POLICIES)[number]) => ({
      ...input(leaf, [crl, rootCrl], { revocation }),
      intermediates: [noSign.der],
    });
    for (const revocation of POLICIES) {
      await rejectsWith(validatePath(at(ok, revocation)), 'CRL_INVALID', 'crl.issuerKeyUsage');
      await rejectsWith(validatePath(at(bad, revocation)), 'CERT_REVOKED', 'crl.revoked');
    }
  });

  test('thisUpdate after the time CRLs are judged at → CRL_INVALID crl.notYetValid', async () => {
    const crl = crlDer(opensslCrl(inter, { crlNumber: true }));
    const revocationTime = new Date(Date.now() - 86400_000);
    await rejectsWith(
      validatePath(input(good, [crl, rootCrl], { revocationTime })),
      'CRL_INVALID',
      'crl.notYetValid',
    );
  });

  test('a usable CRL: trusted under require; past nextUpdate: CRL_STALE', async () => {
    const crl = crlDer(opensslCrl(inter, { crlNumber: true, crlDays: 1 }));
    await validatePath(input(good, [crl, rootCrl], { revocation: 'require' }));
    const revocationTime = new Date(Date.now() + 3 * 86400_000);
    await rejectsWith(
      validatePath(input(good, [crl, rootCrl], { revocationTime })),
      'CRL_STALE',
      'crl.stale',
    );
  });

  test('a newer usable CRL supersedes an older unusable one (its revocations still count)', async () => {
    const old = crlDer(opensslCrl(inter, { crlNumber: false }));
    await new Promise((r) => setTimeout(r, 1100)); // CRL times have whole seconds
    const current = crlDer(opensslCrl(inter, { crlNumber: true }));
    await validatePath(input(good, [old, current, rootCrl], { revocation: 'require' }));
    await rejectsWith(validatePath(input(revoked, [old, current, rootCrl])), 'CERT_REVOKED');
  });
});

describe('after a CA re-key (RFC 5280 §6.3.3(f))', () => {
  let rekeyed: OpensslCa;
  let crl: Uint8Array;
  before(() => {
    // Same CA directory, same subject, new key and certificate from the root; the new
    // key signs the CRLs, also for certificates the old key issued.
    rekeyed = opensslIntermediate(root, dir, 'inter-2', inter.subject, { rekeyOf: inter });
    crl = crlDer(opensslCrl(rekeyed, { crlNumber: true }));
  });

  test('a revocation signed by the new key counts for a certificate of the old key', async () => {
    for (const revocation of POLICIES) {
      await rejectsWith(
        validatePath({
          ...input(revoked, [crl, rootCrl], { revocation }),
          intermediates: [inter.der, rekeyed.der],
        }),
        'CERT_REVOKED',
        'crl.revoked',
      );
    }
  });

  test('the new key CRL says "not revoked" for the old key certificates, under require', async () => {
    const r = await explainPath({
      ...input(good, [crl, rootCrl], { revocation: 'require' }),
      intermediates: [inter.der, rekeyed.der],
    });
    assert.deepEqual(r.failures, []);
    assert.equal(r.trusted, true);
  });

  test('without the new certificate the CRL is nobody’s: CRL_INVALID crl.signature', async () => {
    await rejectsWith(validatePath(input(good, [crl, rootCrl])), 'CRL_INVALID', 'crl.signature');
  });
});

function pyCrl(leaf: IssuedCert, revoke: boolean, crlNumber?: number): Uint8Array {
  const now = Date.now();
  return pythonCrl({
    keyPem: readFileSync(inter.keyFile, 'utf8'),
    caPem: readFileSync(inter.certFile, 'utf8'),
    serials: revoke ? [describeCertificate(leaf.der).serialNumber] : [],
    thisUpdate: new Date(now - 60_000),
    nextUpdate: new Date(now + 7 * 86400_000),
    ...(crlNumber === undefined ? {} : { crlNumber }),
  });
}

describe('CRLs written by Python cryptography', () => {
  test('without cRLNumber, revoking the signer → CERT_REVOKED under best-effort', async () => {
    const crl = pyCrl(revoked, true);
    await rejectsWith(validatePath(input(revoked, [crl, rootCrl])), 'CERT_REVOKED', 'crl.revoked');
    await rejectsWith(validatePath(input(good, [crl, rootCrl])), 'CRL_INVALID', 'crl.crlNumber');
  });

  test('with cRLNumber and no entry → trusted under require', async () => {
    const crl = pyCrl(revoked, false, 7);
    const { chain } = await validatePath(input(good, [crl, rootCrl], { revocation: 'require' }));
    assert.equal(chain.length, 3);
  });
});
