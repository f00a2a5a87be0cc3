import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { derToPem, generateKeyPair } from '../../../pki/index.ts';
import type { ReasonCode } from '../../../errors/index.ts';
import {
  FIXTURE_TIME,
  NAMES,
  crlOf,
  makeCert,
  scenario,
  type Scenario,
} from '../../fixtures/pki-fixtures.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { setPolicy } from '../../../catalog/site/policy.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { signedCatalog, startFeedServer } from './helpers/signed-feed.ts';
import { dumpSiteState } from './helpers/site-dump.ts';

const DAY = 86400_000;
const at = (days: number) => new Date(FIXTURE_TIME.getTime() + days * DAY);

let pki: Scenario;
let feed: Awaited<ReturnType<typeof startFeedServer>>;

before(async () => {
  pki = await scenario();
  feed = await startFeedServer();
});
after(() => feed.stop());

/** The revocation policy of the suite running now: every refusal is checked under both. */
let revocation: 'best-effort' | 'require' = 'best-effort';

/**
 * A site that trusts the fixture root, holds current CRLs, subscribes to the feed, and runs
 * the current suite's revocation policy.
 */
async function site(opts: { crls?: Uint8Array[] } = {}) {
  const t = await tempInstance({ now: () => FIXTURE_TIME });
  await setPolicy(t.inst, 'revocation', revocation, 'test');
  const crls = opts.crls ?? [await crlOf(pki.intermediate), await crlOf(pki.root)];
  const pem =
    [pki.root.certificate, pki.intermediate.certificate]
      .map((c) => derToPem(c, 'CERTIFICATE'))
      .join('') + crls.map((c) => derToPem(c, 'X509 CRL')).join('');
  await addTrustMaterial(t.inst, pem, 'test');
  await subscribe(t.inst, { url: feed.url, expectSubject: NAMES.leaf, actor: 'test', log: 'off' });
  return t;
}

const good = (sequence: number, extra: Partial<Parameters<typeof signedCatalog>[0]> = {}) =>
  signedCatalog({
    signer: pki.leaf,
    chain: [pki.intermediate.certificate],
    sequence,
    issued: at(-1),
    expires: at(10),
    ...extra,
  });

/** Serves `bytes`, runs an import, and asserts the code and that nothing but the audit log and last error changed. */
async function expectRefusal(
  t: Awaited<ReturnType<typeof site>>,
  bytes: Uint8Array | undefined,
  code: ReasonCode,
  rule?: string,
) {
  const before = await dumpSiteState(t.inst);
  feed.serve(bytes);
  const [outcome] = await runImport(t.inst, { actor: 'test' });
  assert.equal(outcome?.status, 'failed');
  assert.equal(outcome?.code, code, outcome?.message);
  if (rule) assert.equal(outcome?.rule, rule);
  assert.deepEqual(await dumpSiteState(t.inst), before, 'site state changed by a refused import');
  const sub = await t.inst.store.db
    .selectFrom('subscriptions')
    .selectAll()
    .executeTakeFirstOrThrow();
  assert.equal(sub.last_error_code, code);
  const audit = await t.inst.store.db
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  assert.equal(audit.action, 'import.failed');
}

// Every case runs under both revocation policies: a refusal must change nothing but the
// audit log and the last result whatever the site's setting.
for (const policy of ['best-effort', 'require'] as const) {
  describe(`revocation ${policy}`, () => {
    before(() => {
      revocation = policy;
    });
    test('a valid catalog is applied; the same one again is unchanged', async () => {
      const t = await site();
      try {
        feed.serve(await good(1));
        assert.equal((await runImport(t.inst, { actor: 't' }))[0]?.status, 'applied');
        assert.equal((await runImport(t.inst, { actor: 't' }))[0]?.status, 'unchanged');
      } finally {
        await t.cleanup();
      }
    });

    test('tampered content byte → SIGNATURE_INVALID', async () => {
      const t = await site();
      try {
        const bytes = Buffer.from(await good(1));
        const at = bytes.indexOf(Buffer.from('Fixture catalog'));
        bytes[at]! ^= 0x20;
        await expectRefusal(t, bytes, 'SIGNATURE_INVALID');
      } finally {
        await t.cleanup();
      }
    });

    test('tampered signature → SIGNATURE_INVALID', async () => {
      const t = await site();
      try {
        const bytes = Buffer.from(await good(1));
        bytes[bytes.length - 3]! ^= 0x01;
        await expectRefusal(t, bytes, 'SIGNATURE_INVALID');
      } finally {
        await t.cleanup();
      }
    });

    test('signer from an untrusted CA → CHAIN_UNTRUSTED', async () => {
      const t = await site();
      try {
        const other = await scenario();
        await expectRefusal(
          t,
          await signedCatalog({
            signer: other.leaf,
            chain: [other.intermediate.certificate, other.root.certificate],
            sequence: 1,
            issued: at(-1),
            expires: at(10),
          }),
          'CHAIN_UNTRUSTED',
        );
      } finally {
        await t.cleanup();
      }
    });

    test('expired signer → CERT_EXPIRED; not-yet-valid signer → CERT_NOT_YET_VALID', async () => {
      const t = await site();
      try {
        const expired = await makeCert(
          { subject: NAMES.leaf, notBefore: at(-400), notAfter: at(-2) },
          pki.intermediate,
        );
        await expectRefusal(t, await good(1, { signer: expired, issued: at(-3) }), 'CERT_EXPIRED');
        const early = await makeCert(
          { subject: NAMES.leaf, notBefore: at(1), notAfter: at(400) },
          pki.intermediate,
        );
        await expectRefusal(t, await good(1, { signer: early }), 'CERT_NOT_YET_VALID');
      } finally {
        await t.cleanup();
      }
    });

    test('signer revoked by CRL → CERT_REVOKED', async () => {
      const t = await site({
        crls: [await crlOf(pki.intermediate, [pki.leaf.certificate]), await crlOf(pki.root)],
      });
      try {
        await expectRefusal(t, await good(1), 'CERT_REVOKED');
      } finally {
        await t.cleanup();
      }
    });

    test('stale CRL → CRL_STALE', async () => {
      const t = await site({
        crls: [await crlOf(pki.intermediate, [], { thisUpdate: at(-30), nextUpdate: at(-1) })],
      });
      try {
        await expectRefusal(t, await good(1), 'CRL_STALE');
      } finally {
        await t.cleanup();
      }
    });

    test('revocation policy require with no CRL for an issuer → CRL_STALE', async () => {
      const t = await site({ crls: [await crlOf(pki.root)] });
      try {
        await setPolicy(t.inst, 'revocation', 'require', 'test');
        await expectRefusal(t, await good(1), 'CRL_STALE', 'crl.missing');
      } finally {
        await t.cleanup();
      }
    });

    test('signer without digitalSignature → KEY_USAGE', async () => {
      const t = await site();
      try {
        const wrongKu = await makeCert(
          { subject: NAMES.leaf, keyUsage: ['keyEncipherment', 'nonRepudiation'] },
          pki.intermediate,
        );
        await expectRefusal(t, await good(1, { signer: wrongKu }), 'KEY_USAGE');
      } finally {
        await t.cleanup();
      }
    });

    test('a valid certificate of another endorser from the same CA → SUBJECT_MISMATCH', async () => {
      const t = await site();
      try {
        const other = await makeCert(
          { subject: 'CN=Another Endorser,O=vmic fixtures,C=CH' },
          pki.intermediate,
        );
        await expectRefusal(t, await good(1, { signer: other }), 'SUBJECT_MISMATCH', 'pin.subject');
        // ...and one that signs a catalog naming someone else as its publisher.
        await expectRefusal(
          t,
          await good(1, { publisherSubject: 'CN=Someone Else,C=CH' }),
          'SUBJECT_MISMATCH',
          'vmic:x509Subject',
        );
      } finally {
        await t.cleanup();
      }
    });

    test('an older signed version served again → ROLLBACK; same sequence, other content → EQUIVOCATION', async () => {
      const t = await site();
      try {
        const v1 = await good(1);
        feed.serve(await good(2));
        assert.equal((await runImport(t.inst, { actor: 't' }))[0]?.status, 'applied');
        await expectRefusal(t, v1, 'ROLLBACK');
        await expectRefusal(
          t,
          await good(2, { images: [{ identifier: 'other', sha256: 'b'.repeat(64), byteSize: 5 }] }),
          'EQUIVOCATION',
        );
      } finally {
        await t.cleanup();
      }
    });

    test('expired catalog → CATALOG_EXPIRED; older than max-catalog-age → CATALOG_EXPIRED', async () => {
      const t = await site();
      try {
        await expectRefusal(
          t,
          await good(1, { issued: at(-10), expires: at(-1) }),
          'CATALOG_EXPIRED',
          'vmic:expires',
        );
        await setPolicy(t.inst, 'max-catalog-age', String(3 * 86400), 'test');
        await expectRefusal(
          t,
          await good(1, { issued: at(-5), expires: at(20) }),
          'CATALOG_EXPIRED',
          'max-catalog-age',
        );
      } finally {
        await t.cleanup();
      }
    });

    test('oversize feed → TOO_LARGE; missing feed → FETCH_FAILED', async () => {
      const t = await site();
      try {
        await setPolicy(t.inst, 'feed-max-bytes', '1000', 'test');
        await expectRefusal(t, await good(1), 'TOO_LARGE');
        await expectRefusal(t, undefined, 'FETCH_FAILED');
      } finally {
        await t.cleanup();
      }
    });

    test('non-canonical N-Quads with a valid signature → NOT_CANONICAL', async () => {
      const t = await site();
      try {
        const reordered = (nq: string) => nq.trimEnd().split('\n').reverse().join('\n') + '\n';
        await expectRefusal(t, await good(1, { rewrite: reordered }), 'NOT_CANONICAL');
      } finally {
        await t.cleanup();
      }
    });

    test('malformed CMS → MALFORMED; a catalog with no expiry → MALFORMED', async () => {
      const t = await site();
      try {
        await expectRefusal(t, Buffer.from('this is not DER'), 'MALFORMED');
        const noExpiry = (nq: string) =>
          nq
            .split('\n')
            .filter((l) => !l.includes('ns#expires'))
            .join('\n');
        await expectRefusal(t, await good(1, { rewrite: noExpiry }), 'MALFORMED');
      } finally {
        await t.cleanup();
      }
    });

    test('SHA-1 signed signer certificate → WEAK_ALGORITHM', async () => {
      const t = await site();
      try {
        const keys = await generateKeyPair('RSA-2048');
        const rsaIntermediate = await makeCert(
          { subject: 'CN=Fixture RSA Intermediate,O=vmic fixtures,C=CH', ca: {} },
          pki.root,
          'RSA-2048',
        );
        const sha1Leaf = await makeCert(
          { subject: NAMES.leaf, keys, signatureHash: 'SHA-1' },
          rsaIntermediate,
          'RSA-2048',
        );
        await expectRefusal(
          t,
          await good(1, { signer: sha1Leaf, chain: [rsaIntermediate.certificate] }),
          'WEAK_ALGORITHM',
        );
      } finally {
        await t.cleanup();
      }
    });
  });
}
