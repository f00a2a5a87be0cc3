import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  derToPem,
  describeCertificate,
  describeCrl,
  exportPrivateKeyPkcs8,
  pemToDers,
} from '../../../pki/index.ts';
import type { Instance } from '../../../catalog/index.ts';
import { FIXTURE_TIME, NAMES, scenario, type Scenario } from '../../fixtures/pki-fixtures.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { setPolicy } from '../../../catalog/site/policy.ts';
import { fetchImages } from '../../../catalog/site/fetch-images.ts';
import { approveImage } from '../../../catalog/site/approvals.ts';
import { decideDeployment } from '../../../catalog/site/gate.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { pythonCrl } from '../../pki/python-crl.ts';
import { signedCatalog, startFeedServer } from './helpers/signed-feed.ts';
import { dumpSiteState } from './helpers/site-dump.ts';
import { randomImage, startImageServer, type ImageServer } from './helpers/image-server.ts';

// Issue 10 item 1 at the gate: a CRL written by Python `cryptography` without a
// cRLNumber (the reported case) and added after import makes the signer's images
// undeployable (SIGNER_REVOKED); one that does not list the signer cannot say "not
// revoked" and stops deployment too (CRL_INVALID). The path and the CRLs are judged at the
// gate's now: a signer certificate past its notAfter refuses too (CERT_EXPIRED).
const DAY = 86400_000;

let pki: Scenario;
let feed: Awaited<ReturnType<typeof startFeedServer>>;
let images: ImageServer;

before(async () => {
  pki = await scenario();
  feed = await startFeedServer();
  images = await startImageServer();
});
after(async () => {
  await feed.stop();
  await images.close();
});

async function deployableSite(opts: { expires?: number } = {}) {
  let now = FIXTURE_TIME.getTime();
  const t = await tempInstance({ now: () => new Date(now) });
  const pem = [pki.root.certificate, pki.intermediate.certificate]
    .map((c) => derToPem(c, 'CERTIFICATE'))
    .join('');
  await addTrustMaterial(t.inst, pem, 'test');
  await subscribe(t.inst, {
    url: feed.url,
    expectSubject: NAMES.leaf,
    name: 'fx',
    actor: 'test',
    log: 'off',
  });
  const img = randomImage(32 * 1024);
  images.serve(`/${img.sha256}`, img.bytes);
  feed.serve(
    await signedCatalog({
      signer: pki.leaf,
      chain: [pki.intermediate.certificate],
      sequence: 1,
      issued: new Date(now - DAY),
      expires: new Date(opts.expires ?? now + 10 * DAY),
      images: [
        {
          identifier: 'img',
          sha256: img.sha256,
          byteSize: img.bytes.length,
          downloadUrl: images.url(`/${img.sha256}`),
        },
      ],
    }),
  );
  assert.equal((await runImport(t.inst, { actor: 'test' }))[0]?.status, 'applied');
  const kept = await keptCheck(t);
  assert.equal(kept.outcome, 'trusted', 'the import made the kept signer check');
  assert.equal(kept.checked_at, new Date(now).toISOString());
  assert.equal(kept.sequence, 1);
  assert.equal((await fetchImages(t.inst, { actor: 'test' })).totals.failed, 0);
  await approveImage(t.inst, { image: 'img', actor: 'test' });
  assert.equal((await decideDeployment(t.inst, 'img')).deployable, true);
  return { ...t, advance: (ms: number) => (now += ms), now: () => now };
}

async function crlFromPython(revoke: boolean, at: number, crlNumber?: number): Promise<string> {
  const der = pythonCrl({
    keyPem: derToPem(await exportPrivateKeyPkcs8(pki.intermediate.privateKey), 'PRIVATE KEY'),
    caPem: derToPem(pki.intermediate.certificate, 'CERTIFICATE'),
    serials: revoke ? [describeCertificate(pki.leaf.certificate).serialNumber] : [],
    thisUpdate: new Date(at - 60_000),
    nextUpdate: new Date(at + 7 * DAY),
    ...(crlNumber === undefined ? {} : { crlNumber }),
  });
  return derToPem(der, 'X509 CRL');
}

const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

test('a revocation in a CRL without cRLNumber, added after import → SIGNER_REVOKED', async () => {
  const s = await deployableSite();
  try {
    s.advance(DAY);
    const added = await addTrustMaterial(s.inst, await crlFromPython(true, s.now()), 'test');
    assert.equal(added.crls.length, 1);
    assert.equal(added.warnings.length, 1, 'the missing cRLNumber is reported');
    const d = await decideDeployment(s.inst, 'img');
    assert.equal(d.deployable, false);
    assert.deepEqual(codes(d), ['SIGNER_REVOKED']);
  } finally {
    await s.cleanup();
  }
});

test('a held CRL that cannot say "not revoked" → CRL_INVALID at the gate', async () => {
  const s = await deployableSite();
  try {
    s.advance(DAY);
    await addTrustMaterial(s.inst, await crlFromPython(false, s.now()), 'test');
    const d = await decideDeployment(s.inst, 'img');
    assert.equal(d.deployable, false);
    assert.deepEqual(codes(d), ['CRL_INVALID']);
    assert.match(d.reasons[0]?.message ?? '', /cRLNumber/);
  } finally {
    await s.cleanup();
  }
});

test('the reported case at import: a CRL without cRLNumber revokes the signer under both policies', async () => {
  for (const policy of ['best-effort', 'require'] as const) {
    const now = FIXTURE_TIME.getTime();
    const t = await tempInstance({ now: () => new Date(now) });
    try {
      const pem = [pki.root.certificate, pki.intermediate.certificate]
        .map((c) => derToPem(c, 'CERTIFICATE'))
        .join('');
      await addTrustMaterial(t.inst, pem + (await crlFromPython(true, now)), 'test');
      await setPolicy(t.inst, 'revocation', policy, 'test');
      await subscribe(t.inst, {
        url: feed.url,
        expectSubject: NAMES.leaf,
        actor: 'test',
        log: 'off',
      });
      feed.serve(
        await signedCatalog({
          signer: pki.leaf,
          chain: [pki.intermediate.certificate],
          sequence: 1,
          issued: new Date(now - DAY),
          expires: new Date(now + 10 * DAY),
        }),
      );
      const before = await dumpSiteState(t.inst);
      const [outcome] = await runImport(t.inst, { actor: 'test' });
      assert.equal(outcome?.status, 'failed', policy);
      assert.equal(outcome?.code, 'CERT_REVOKED', `${policy}: ${outcome?.message}`);
      assert.deepEqual(await dumpSiteState(t.inst), before, `${policy}: site state changed`);
    } finally {
      await t.cleanup();
    }
  }
});

/** The gate's kept signer check of the only subscription (catalog/site/signer-checks.ts). */
async function keptCheck(s: { inst: Instance }) {
  return s.inst.store.db.selectFrom('gate_signer_checks').selectAll().executeTakeFirstOrThrow();
}

test("the kept signer check never outlives a CRL added later, nor its CRLs' window", async () => {
  const s = await deployableSite();
  try {
    // A current CRL that lists nobody: adding it re-checks, and the check is kept while
    // the CRL is current.
    s.advance(DAY);
    await addTrustMaterial(s.inst, await crlFromPython(false, s.now(), 1), 'test');
    const kept = await keptCheck(s);
    assert.equal(kept.outcome, 'trusted');
    assert.equal(kept.checked_at, new Date(s.now()).toISOString(), 're-checked when the CRL came');
    assert.equal(
      kept.valid_from,
      new Date(s.now() - 60_000 + 1).toISOString(),
      "opens after the CRL's thisUpdate",
    );
    assert.equal(
      kept.valid_until,
      new Date(s.now() + 7 * DAY).toISOString(),
      'closes at its nextUpdate',
    );
    for (let i = 0; i < 3; i++) {
      s.advance(1000);
      assert.equal((await decideDeployment(s.inst, 'img')).deployable, true);
    }
    assert.equal((await keptCheck(s)).checked_at, kept.checked_at, 'answered from the kept check');
    // A newer CRL revoking the signer: the very next decision refuses.
    s.advance(60_000);
    await addTrustMaterial(s.inst, await crlFromPython(true, s.now(), 2), 'test');
    assert.notEqual((await keptCheck(s)).trust_generation, kept.trust_generation);
    assert.deepEqual(codes(await decideDeployment(s.inst, 'img')), ['SIGNER_REVOKED']);
  } finally {
    await s.cleanup();
  }
});

test('a CRL row added behind the kept check (no re-check ran) still changes the next decision', async () => {
  const s = await deployableSite();
  try {
    s.advance(DAY);
    assert.equal((await decideDeployment(s.inst, 'img')).deployable, true);
    // As another process, or a version without the re-check, would: only the row.
    const der = pemToDers(await crlFromPython(true, s.now()), 'X509 CRL')[0]!;
    const info = await describeCrl(der);
    await s.inst.store.db
      .insertInto('trust_crls')
      .values({
        issuer: info.issuer,
        issuer_fingerprint: 'test',
        fingerprint: info.fingerprintSha256,
        crl_number: null,
        this_update: info.thisUpdate.toISOString(),
        next_update: info.nextUpdate?.toISOString() ?? null,
        revoked_count: info.revokedSerials.length,
        der,
        added_at: new Date(s.now()).toISOString(),
      })
      .execute();
    assert.deepEqual(codes(await decideDeployment(s.inst, 'img')), ['SIGNER_REVOKED']);
  } finally {
    await s.cleanup();
  }
});

test("a decision just after the signer certificate's notAfter refuses (CERT_EXPIRED)", async () => {
  const notAfter = describeCertificate(pki.leaf.certificate).notAfter.getTime();
  const s = await deployableSite({ expires: notAfter + 10 * DAY });
  try {
    s.advance(notAfter - 1000 - s.now());
    assert.equal((await decideDeployment(s.inst, 'img')).deployable, true, 'valid until notAfter');
    s.advance(1000);
    assert.equal((await decideDeployment(s.inst, 'img')).deployable, true, 'notAfter is inclusive');
    s.advance(1000);
    const d = await decideDeployment(s.inst, 'img');
    assert.deepEqual(codes(d), ['CERT_EXPIRED']);
    assert.match(d.reasons[0]!.message, /no longer validates/);
  } finally {
    await s.cleanup();
  }
});
