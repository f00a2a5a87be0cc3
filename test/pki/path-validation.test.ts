import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { generateKeyPair, issueCertificate, validatePath } from '../../pki/index.ts';
import {
  FIXTURE_TIME,
  fixtures,
  makeCert,
  NAMES,
  scenario,
  writeScenario,
} from '../fixtures/pki-fixtures.ts';
import type { Scenario } from '../fixtures/pki-fixtures.ts';
import { rejectsWith } from './assert-code.ts';
import { epochSeconds, openssl, withTempDir } from '../helpers/openssl/index.ts';

describe('validatePath accepts', () => {
  test('a valid chain and returns it leaf → anchor', async () => {
    const s = await fixtures.valid();
    const { chain } = await validatePath(s.input);
    assert.deepEqual(
      chain.map((c) => c.subject),
      [NAMES.leaf, NAMES.intermediate, NAMES.root],
    );
  });

  test('notAfter exactly equal to the reference time (inclusive bound)', async () => {
    const s = await fixtures.notAfterEqualsTime();
    const { chain } = await validatePath(s.input);
    assert.equal(chain[0]?.notAfter.getTime(), FIXTURE_TIME.getTime());
  });

  test('require policy with current CRLs from every issuer', async () => {
    await validatePath((await fixtures.requireWithCrls()).input);
  });

  test('a forged CRL (wrong key) is never "not revoked", nor its revocation counted', async () => {
    // Its revocation is not the issuer's word (no CERT_REVOKED), but the site holds a CRL
    // for that issuer that it cannot use: CRL_INVALID under both policies.
    const s = await fixtures.crlWrongKey();
    for (const revocation of ['best-effort', 'require'] as const) {
      await rejectsWith(validatePath({ ...s.input, revocation }), 'CRL_INVALID', 'crl.signature');
    }
  });

  test('an alternative issuer with the same subject when the first candidate fails', async () => {
    const s = await fixtures.valid();
    // Same subject as the real intermediate, different key: signature check must fail over.
    const decoy = await makeCert({ subject: NAMES.intermediate, ca: {} }, s.root);
    const { chain } = await validatePath({
      ...s.input,
      intermediates: [decoy.certificate, s.intermediate.certificate],
    });
    assert.equal(chain.length, 3);
  });

  test('RSA-2048 and P-384 hierarchies', async () => {
    await validatePath((await scenario({ alg: 'RSA-2048' })).input);
    await validatePath((await scenario({ alg: 'ECDSA-P384' })).input);
  });
});

describe('validatePath rejects', () => {
  const cases: [string, () => Promise<Scenario>, string, string?][] = [
    ['expired leaf', fixtures.expiredLeaf, 'CERT_EXPIRED', 'validity.notAfter'],
    ['not-yet-valid leaf', fixtures.notYetValidLeaf, 'CERT_NOT_YET_VALID', 'validity.notBefore'],
    ['CA without keyCertSign', fixtures.caWithoutKeyCertSign, 'KEY_USAGE', 'keyUsage.keyCertSign'],
    [
      'leaf without digitalSignature',
      fixtures.leafWithoutDigitalSignature,
      'KEY_USAGE',
      'keyUsage.digitalSignature',
    ],
    ['path length exceeded', fixtures.pathLengthExceeded, 'CHAIN_UNTRUSTED', 'pathLenConstraint'],
    ['issuer that is not a CA', fixtures.issuerNotCa, 'CHAIN_UNTRUSTED', 'basicConstraints.cA'],
    ['untrusted root', fixtures.untrustedRoot, 'CHAIN_UNTRUSTED', 'trustAnchor'],
    ['leaf revoked by CRL', fixtures.revokedLeaf, 'CERT_REVOKED', 'crl.revoked'],
    ['stale CRL', fixtures.staleCrl, 'CRL_STALE', 'crl.stale'],
    ['require policy without CRL', fixtures.requireWithoutCrl, 'CRL_STALE', 'crl.missing'],
    ['SHA-1 signature on a certificate', fixtures.sha1Leaf, 'WEAK_ALGORITHM', 'algorithm'],
    ['RSA-1024 leaf key', fixtures.rsa1024Leaf, 'WEAK_ALGORITHM', 'rsaKeySize'],
  ];
  for (const [name, build, code, rule] of cases) {
    test(`${name} → ${code}`, async () => {
      await rejectsWith(validatePath((await build()).input), code, rule);
    });
  }

  test('an extended key usage the leaf does not allow → KEY_USAGE', async () => {
    const s = await fixtures.valid();
    const leaf = await makeCert({ subject: NAMES.leaf }, s.intermediate);
    // makeCert leaves have no EKU (= any purpose); this one is restricted to serverAuth.
    const k = await generateKeyPair('ECDSA-P256');
    const restricted = await issueCertificate({
      subject: NAMES.leaf,
      publicKey: k.publicKey,
      issuer: s.intermediate,
      notBefore: new Date(FIXTURE_TIME.getTime() - 1000_000),
      notAfter: new Date(FIXTURE_TIME.getTime() + 1000_000),
      keyUsage: ['digitalSignature'],
      extKeyUsage: ['serverAuth'],
    });
    const codeSigning = ['1.3.6.1.5.5.7.3.3'];
    await validatePath({ ...s.input, leaf: leaf.certificate, requiredExtKeyUsage: codeSigning });
    await rejectsWith(
      validatePath({ ...s.input, leaf: restricted, requiredExtKeyUsage: codeSigning }),
      'KEY_USAGE',
      'extKeyUsage',
    );
  });

  test('a chain longer than maxDepth → CHAIN_UNTRUSTED maxDepth', async () => {
    const s = await fixtures.valid();
    await rejectsWith(validatePath({ ...s.input, maxDepth: 2 }), 'CHAIN_UNTRUSTED', 'maxDepth');
  });

  test('an expired anchor → CERT_EXPIRED', async () => {
    const s = await scenario({ root: { notAfter: new Date(FIXTURE_TIME.getTime() - 1000) } });
    await rejectsWith(validatePath(s.input), 'CERT_EXPIRED');
  });

  test('a missing intermediate → CHAIN_UNTRUSTED', async () => {
    const s = await fixtures.valid();
    await rejectsWith(
      validatePath({ ...s.input, intermediates: [] }),
      'CHAIN_UNTRUSTED',
      'trustAnchor',
    );
  });

  test('two CAs certifying each other do not loop', async () => {
    const s = await fixtures.valid();
    const other = await makeCert({ subject: NAMES.otherRoot, ca: {} }, undefined);
    const aByB = await makeCert({ subject: NAMES.intermediate, ca: {} }, other);
    await rejectsWith(
      validatePath({
        ...s.input,
        intermediates: [s.intermediate.certificate, aByB.certificate, other.certificate],
        anchors: [(await fixtures.valid()).root.certificate],
      }),
      'CHAIN_UNTRUSTED',
    );
  });

  test('garbage leaf bytes → MALFORMED', async () => {
    const s = await fixtures.valid();
    await rejectsWith(validatePath({ ...s.input, leaf: new Uint8Array([1, 2, 3]) }), 'MALFORMED');
  });
});

/**
 * The same fixtures through `openssl verify -x509_strict`, for rules where OpenSSL's
 * verdict is directly comparable: our rejection must be its rejection, and vice versa.
 * Not compared: notAfter == time, which OpenSSL (X509_cmp_time) treats as expired while
 * RFC 5280 §4.1.2.5 makes the bound inclusive, as we do.
 */
describe('verdicts agree with openssl verify', () => {
  const comparable: [string, () => Promise<Scenario>, boolean, RegExp?][] = [
    ['valid', fixtures.valid, true],
    ['expiredLeaf', fixtures.expiredLeaf, false, /expired/],
    ['notYetValidLeaf', fixtures.notYetValidLeaf, false, /not yet valid/],
    ['untrustedRoot', fixtures.untrustedRoot, false, /unable to get local issuer|self-signed/],
    ['pathLengthExceeded', fixtures.pathLengthExceeded, false, /path length/],
    ['issuerNotCa', fixtures.issuerNotCa, false, /invalid CA|not a CA/i],
    [
      'caWithoutKeyCertSign',
      fixtures.caWithoutKeyCertSign,
      false,
      /key usage|certificate signing/i,
    ],
    ['revokedLeaf', fixtures.revokedLeaf, false, /revoked/],
  ];
  for (const [name, build, ok, reason] of comparable) {
    test(`${name}: openssl ${ok ? 'accepts' : 'rejects'} too`, async () => {
      const s = await build();
      await withTempDir(async (dir) => {
        await writeScenario(s, dir);
        const args = ['verify', '-x509_strict', '-attime', epochSeconds(s.input.time)];
        args.push('-CAfile', 'anchors.pem', '-untrusted', 'intermediates.pem');
        if ((s.input.crls ?? []).length > 0) args.push('-crl_check', '-CRLfile', 'crls.pem');
        const r = openssl([...args, 'leaf.pem'], { cwd: dir });
        const output = r.stdout.toString() + r.stderr;
        assert.equal(r.status === 0, ok, output);
        if (reason) assert.match(output, reason);
      });
      if (ok) await validatePath(s.input);
      else await assert.rejects(validatePath(s.input));
    });
  }
});
