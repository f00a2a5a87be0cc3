import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explainPath, generateKeyPair, issueCertificate, validatePath } from '../../pki/index.ts';
import { FIXTURE_TIME, fixtures, makeCert, NAMES, scenario } from '../fixtures/pki-fixtures.ts';
import { rejectsWith } from './assert-code.ts';

const DAY = 86400_000;

describe('explainPath and validatePath use the same rules', () => {
  test('every failure is listed; validatePath throws the first of them', async () => {
    const s = await scenario({
      leaf: {
        keyUsage: ['keyEncipherment'],
        notBefore: new Date(FIXTURE_TIME.getTime() - 400 * DAY),
        notAfter: new Date(FIXTURE_TIME.getTime() - DAY),
      },
    });
    const r = await explainPath(s.input);
    assert.equal(r.trusted, false);
    assert.deepEqual(
      r.failures.map((f) => [f.code, f.rule]),
      [
        ['KEY_USAGE', 'keyUsage.digitalSignature'],
        ['CERT_EXPIRED', 'validity.notAfter'],
      ],
    );
    assert.equal(r.chain.length, 3);
    await rejectsWith(validatePath(s.input), 'KEY_USAGE', 'keyUsage.digitalSignature');
  });

  test('a trusted path has no failures and the same chain as validatePath', async () => {
    const s = await fixtures.valid();
    const r = await explainPath(s.input);
    assert.equal(r.trusted, true);
    assert.deepEqual(r.failures, []);
    const { chain } = await validatePath(s.input);
    assert.deepEqual(
      r.chain.map((c) => c.fingerprintSha256),
      chain.map((c) => c.fingerprintSha256),
    );
  });

  test('no path: the partial chain and trustAnchor', async () => {
    const s = await fixtures.valid();
    const r = await explainPath({
      ...s.input,
      anchors: [(await fixtures.valid()).root.certificate],
    });
    assert.equal(r.trusted, false);
    assert.deepEqual(
      r.failures.map((f) => f.rule),
      ['trustAnchor'],
    );
  });
});

describe('self-issued intermediates (RFC 5280 §6.1.4(l))', () => {
  /** root → intermediate (pathLen 0) → re-keyed intermediate (same name) → leaf */
  async function rekeyed() {
    const s = await scenario();
    const rekey = await makeCert(
      { subject: NAMES.intermediate, ca: { pathLength: 0 } },
      s.intermediate,
    );
    const leaf = await makeCert({ subject: NAMES.leaf }, rekey);
    return {
      ...s.input,
      leaf: leaf.certificate,
      intermediates: [rekey.certificate, s.intermediate.certificate],
    };
  }

  test('do not count against pathLenConstraint or maxDepth', async () => {
    const input = await rekeyed();
    const { chain } = await validatePath({ ...input, maxDepth: 3 });
    assert.equal(chain.length, 4);
  });

  test('maxDepth still bounds the other certificates', async () => {
    await rejectsWith(
      validatePath({ ...(await rekeyed()), maxDepth: 2 }),
      'CHAIN_UNTRUSTED',
      'maxDepth',
    );
  });
});

describe('certificate profile rules (RFC 5280 §4)', () => {
  // Zero and negative serials cannot be issued with @peculiar/x509; x509-limbo covers them.
  test('a 21-octet serial number → CHAIN_UNTRUSTED serialNumber', async () => {
    const s = await fixtures.valid();
    const k = await generateKeyPair('ECDSA-P256');
    const leaf = await issueCertificate({
      subject: NAMES.leaf,
      publicKey: k.publicKey,
      issuer: s.intermediate,
      serialNumber: '01'.repeat(21),
      notBefore: new Date(FIXTURE_TIME.getTime() - DAY),
      notAfter: new Date(FIXTURE_TIME.getTime() + DAY),
      keyUsage: ['digitalSignature'],
    });
    await rejectsWith(validatePath({ ...s.input, leaf }), 'CHAIN_UNTRUSTED', 'serialNumber');
  });

  test('keyCertSign on a non-CA leaf → KEY_USAGE keyUsage.keyCertSign.cA', async () => {
    const s = await scenario({ leaf: { keyUsage: ['digitalSignature', 'keyCertSign'] } });
    await rejectsWith(validatePath(s.input), 'KEY_USAGE', 'keyUsage.keyCertSign.cA');
  });

  test('notAfter covers its whole second', async () => {
    const s = await fixtures.notAfterEqualsTime();
    await validatePath({ ...s.input, time: new Date(FIXTURE_TIME.getTime() + 999) });
    await rejectsWith(
      validatePath({ ...s.input, time: new Date(FIXTURE_TIME.getTime() + 1000) }),
      'CERT_EXPIRED',
    );
  });
});
