import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { migrateImage, NotDeployableError } from '../../../catalog/migration/migrate.ts';
import { receiveTransfer } from '../../../catalog/migration/receive.ts';
import { removePeer } from '../../../catalog/migration/peers.ts';
import { listMigrations } from '../../../catalog/migration/records.ts';
import { ImageCache } from '../../../catalog/site/image-cache.ts';
import { decideDeployment } from '../../../catalog/site/gate.ts';
import { subscribe } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { approveImage, unapproveImage } from '../../../catalog/site/approvals.ts';
import { verifyAuditChain } from '../../../catalog/audit/audit-log.ts';
import { setPolicy } from '../../../catalog/site/policy.ts';
import { createToken } from '../../../catalog/index.ts';
import { dnEquals } from '../../../pki/index.ts';
import { syntheticImage } from '../../../scripts/fixtures/published-endorser.ts';
import type { DemoHierarchy } from '../../../pki/index.ts';
import {
  SUBJECTS,
  buildDemoHierarchy,
  containsAnyBlock,
  deployableImageAt,
  partialFiles,
  peerWith,
  siteCredential,
  startCapturingProxy,
  startSite,
  type Site,
} from './two-sites.ts';
import { readStored } from '../blobs/stored-objects.ts';

const SIZE = 64 * 1024 * 1024;
let h: DemoHierarchy;
let a: Site;
let b: Site;
let image: { identifier: string; sha256: string };
let proxy: Awaited<ReturnType<typeof startCapturingProxy>>;
let siteC: { certificatePem: string; keyPem: string };

before(async () => {
  h = await buildDemoHierarchy({ keyAlgorithm: 'RSA-2048', now: new Date() });
  a = await startSite(h, SUBJECTS.a, 'RSA-2048');
  b = await startSite(h, SUBJECTS.b, 'ECDSA-P256');
  image = await deployableImageAt(a, h, SIZE);
  proxy = await startCapturingProxy(b.url);
  siteC = await siteCredential(h, SUBJECTS.c, 'RSA-2048');
  await peerWith(a, 'site-b', { url: proxy.url }, SUBJECTS.b);
  await peerWith(a, 'site-c', { certificatePem: siteC.certificatePem }, SUBJECTS.c);
  await peerWith(b, 'site-a', { url: a.url }, SUBJECTS.a);
});

after(async () => {
  await proxy?.close();
  await a?.cleanup();
  await b?.cleanup();
});

async function plaintext(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of syntheticImage('migration-test', SIZE)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function noImageAtB(): Promise<void> {
  assert.equal(await ImageCache.of(b.inst).has(image.sha256), false, 'no image at the receiver');
  assert.deepEqual(partialFiles(b), [], 'no partial file at the receiver');
}

test('a 64 MiB image migrates A → B over HTTP, encrypted on the wire, verified at B', async () => {
  const result = await migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' });
  const cached = await readStored(b.inst.siteCache, image.sha256);
  const hash = crypto.createHash('sha256').update(cached).digest('hex');
  assert.equal(hash, image.sha256);

  const wire = proxy.bodies.find((x) => x.length > SIZE)!;
  assert.ok(wire, 'the transfer body was captured');
  assert.equal(
    containsAnyBlock(wire, await plaintext()),
    false,
    'a plaintext block is on the wire',
  );

  // Both sides recorded every stage under the same migration id, in intact audit logs.
  for (const [site, actions] of [
    [a, ['migration.export.done', 'migration.transfer.done', 'migration.done']],
    [b, ['migration.import.done', 'migration.done']],
  ] as const) {
    assert.equal((await verifyAuditChain(site.inst.store.db)).ok, true);
    const rows = await site.inst.store.db
      .selectFrom('audit_log')
      .selectAll()
      .where('subject', '=', `migration:${result.migrationId}`)
      .execute();
    for (const action of actions)
      assert.ok(
        rows.some((r) => r.action === action && r.details.includes(result.migrationId)),
        `${action} audited`,
      );
  }
  const [incoming] = (await listMigrations(b.inst)).filter((m) => m.id === result.migrationId);
  assert.equal(incoming?.state, 'done');
  assert.equal(incoming?.peer, 'site-a');
  const key = await b.inst.store.db
    .selectFrom('migrated_keys')
    .selectAll()
    .where('migration_id', '=', result.migrationId)
    .executeTakeFirst();
  assert.ok(key, 'the receiver key store holds the migrated key');
  assert.ok(
    !Buffer.from(key.sealed_key).toString('latin1').includes('eyJ'),
    'the stored JWE is sealed at rest',
  );
});

test("the migrated image is deployable at B only under B's own gate, which names the peer", async () => {
  assert.deepEqual(
    (await decideDeployment(b.inst, 'alma9')).reasons.map((r) => r.code),
    ['UNKNOWN_IMAGE'],
  );
  await subscribe(b.inst, {
    url: `${a.url}/feeds/cern/`,
    expectSubject: 'CN=vmic Demo Endorser,O=vmic demo,C=CH',
    actor: 'test',
  });
  const [imported] = await runImport(b.inst, { actor: 'test' });
  assert.equal(imported?.status, 'applied', `${imported?.code}: ${imported?.message}`);
  assert.deepEqual(
    (await decideDeployment(b.inst, 'alma9')).reasons.map((r) => r.code),
    ['NOT_APPROVED'],
  );
  await approveImage(b.inst, { image: 'alma9', actor: 'test' });
  const d = await decideDeployment(b.inst, 'alma9');
  assert.equal(d.deployable, true);
  assert.equal(d.bytes?.source, 'migration');
  assert.match(d.bytes?.detail ?? '', /peer site-a/);
});

/** The remaining tests start from a receiver without the image. */
async function forgetImageAtB(): Promise<void> {
  await b.inst.siteCache.remove(image.sha256);
  await b.inst.store.db.deleteFrom('cache_entries').where('sha256', '=', image.sha256).execute();
}

async function bundleTo(
  peer: string,
  opts: { wrapFor?: { subject: string; certificatePem: string } } = {},
): Promise<string> {
  const dir = path.join(a.dir, 'outbox');
  const r = await migrateImage(a.inst, {
    image: 'alma9',
    to: peer,
    dir,
    actor: 'test',
    ...(opts.wrapFor ? { override: { wrapFor: opts.wrapFor } } : {}),
  });
  return r.bundle!;
}

async function expectRefusal(bundle: string, code: string): Promise<void> {
  await assert.rejects(
    receiveTransfer(b.inst, fs.createReadStream(bundle), { via: 'test', actor: 'test' }),
    { code },
  );
  await noImageAtB();
}

test('a flipped ciphertext byte is refused with CIPHERTEXT_INVALID, leaving nothing', async () => {
  await forgetImageAtB();
  const bundle = await bundleTo('site-b');
  const fd = fs.openSync(bundle, 'r+');
  const at = fs.statSync(bundle).size - 1000;
  const one = Buffer.alloc(1);
  fs.readSync(fd, one, 0, 1, at);
  one[0]! ^= 0x01;
  fs.writeSync(fd, one, 0, 1, at);
  fs.closeSync(fd);
  await expectRefusal(bundle, 'CIPHERTEXT_INVALID');
});

test('a manifest signed by a site that is not a peer is refused with UNKNOWN_PEER', async () => {
  await forgetImageAtB();
  const bundle = await bundleTo('site-b');
  await removePeer(b.inst, 'site-a', 'test');
  try {
    await expectRefusal(bundle, 'UNKNOWN_PEER');
  } finally {
    const { addPeer } = await import('../../../catalog/migration/peers.ts');
    await addPeer(b.inst, { name: 'site-a', url: a.url, expectSubject: SUBJECTS.a, actor: 'test' });
  }
});

test("over HTTP, the receiver's refusal comes back to the sender with its code", async () => {
  await forgetImageAtB();
  await removePeer(b.inst, 'site-a', 'test');
  try {
    await assert.rejects(migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' }), {
      code: 'UNKNOWN_PEER',
    });
    await noImageAtB();
    const [failed] = (await listMigrations(a.inst)).filter((m) => m.state === 'failed');
    assert.equal(failed?.reason?.code, 'UNKNOWN_PEER');
  } finally {
    const { addPeer } = await import('../../../catalog/migration/peers.ts');
    await addPeer(b.inst, { name: 'site-a', url: a.url, expectSubject: SUBJECTS.a, actor: 'test' });
  }
});

test('a manifest addressed to another site is refused with WRONG_RECIPIENT', async () => {
  await forgetImageAtB();
  await expectRefusal(await bundleTo('site-c'), 'WRONG_RECIPIENT');
});

test('the same bundle sent twice is refused the second time with REPLAY', async () => {
  await forgetImageAtB();
  const bundle = await bundleTo('site-b');
  await receiveTransfer(b.inst, fs.createReadStream(bundle), { via: 'test', actor: 'test' });
  assert.equal(await ImageCache.of(b.inst).has(image.sha256), true);
  await forgetImageAtB();
  await expectRefusal(bundle, 'REPLAY');
});

test('a data key wrapped for another site is refused with KEY_UNWRAP_FAILED', async () => {
  await forgetImageAtB();
  const bundle = await bundleTo('site-b', {
    wrapFor: { subject: SUBJECTS.c, certificatePem: siteC.certificatePem },
  });
  await expectRefusal(bundle, 'KEY_UNWRAP_FAILED');
});

test('an image not approved at the source is refused before Export', async () => {
  await forgetImageAtB();
  const before = (await listMigrations(a.inst)).length;
  await unapproveImage(a.inst, { image: 'alma9', actor: 'test' });
  try {
    await assert.rejects(
      migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' }),
      (e: unknown) => {
        assert.ok(e instanceof NotDeployableError);
        assert.deepEqual(
          e.reasons.map((r) => r.code),
          ['NOT_APPROVED'],
        );
        return true;
      },
    );
    assert.equal((await listMigrations(a.inst)).length, before, 'no migration was started');
    await noImageAtB();
  } finally {
    await approveImage(a.inst, { image: 'alma9', actor: 'test' });
  }
});

test('a signature that does not verify is refused, listed with the sender it claims (unverified)', async () => {
  await forgetImageAtB();
  const bundle = await bundleTo('site-b');
  const bytes = fs.readFileSync(bundle);
  const manifestEnd = 12 + bytes.readUInt32BE(8);
  bytes[manifestEnd - 8]! ^= 0x01; // inside the signature value, the last field of the CMS
  fs.writeFileSync(bundle, bytes);
  await expectRefusal(bundle, 'SIGNATURE_INVALID');
  const [refused] = (await listMigrations(b.inst)).filter((m) => m.state === 'refused');
  assert.equal(refused?.reason?.code, 'SIGNATURE_INVALID');
  assert.ok(refused?.claimedSender, 'the claimed sender is recorded');
  assert.equal(dnEquals(refused.claimedSender.subject, SUBJECTS.a), true);
  assert.equal(refused.claimedSender.verified, false, 'and marked as not proved');
});

test('every refusal at the manifest stage is listed with its code and sender, in the API too', async () => {
  const refused = (await listMigrations(b.inst)).filter((m) => m.state === 'refused');
  // Earlier tests: not a peer, addressed to site C, a replay, a bad signature.
  for (const code of ['UNKNOWN_PEER', 'WRONG_RECIPIENT', 'REPLAY', 'SIGNATURE_INVALID'])
    assert.ok(
      refused.some((m) => m.reason?.code === code && m.claimedSender !== undefined),
      `${code} is listed with a claimed sender`,
    );
  const replay = refused.find((m) => m.reason?.code === 'REPLAY')!;
  assert.equal(replay.claimedSender?.verified, true, 'a replay is signed by a verified peer');
  assert.equal(replay.peer, 'site-a');
  assert.equal(dnEquals(replay.claimedSender.subject, SUBJECTS.a), true);

  const { token } = await createToken(b.inst, { role: 'auditor', ttlSeconds: 600, actor: 'test' });
  const res = await fetch(`${b.url}/api/v1/migrations`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200);
  const body = (await res.json()) as {
    state: string;
    reason?: { code: string };
    claimedSender?: { subject: string };
  }[];
  const unknown = body.find((m) => m.state === 'refused' && m.reason?.code === 'UNKNOWN_PEER');
  assert.ok(unknown, 'GET /api/v1/migrations lists the UNKNOWN_PEER refusal');
  assert.equal(dnEquals(unknown.claimedSender!.subject, SUBJECTS.a), true);
});

test('a manifest outside the clock window is refused with manifest.clock; the window is policy', async () => {
  await forgetImageAtB();
  const bundle = await bundleTo('site-b');
  // The receiver's clock is two hours ahead of the sender's.
  const ahead = { ...b.inst, now: () => new Date(Date.now() + 2 * 3600_000) };
  const receive = () =>
    receiveTransfer(ahead, fs.createReadStream(bundle), { via: 'test', actor: 'test' });
  await assert.rejects(receive(), (e: unknown) => {
    const err = e as { code: string; rule: string; message: string };
    assert.equal(err.code, 'REPLAY');
    assert.equal(err.rule, 'manifest.clock');
    assert.match(err.message, /720\d s behind this site's clock/);
    assert.match(err.message, /±900 s/);
    assert.match(err.message, /NTP/);
    return true;
  });
  await noImageAtB();
  await setPolicy(b.inst, 'transfer-clock-window', String(3 * 3600), 'test');
  try {
    const r = await receive();
    assert.equal(r.sha256, image.sha256, 'accepted within the configured window');
  } finally {
    await setPolicy(b.inst, 'transfer-clock-window', undefined, 'test');
  }
});

test('ciphertext damaged on the way is refused by the receiver, and migrate retries once', async () => {
  await forgetImageAtB();
  proxy.damage.next = true;
  const result = await migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' });
  assert.equal(proxy.damage.done, 1, 'the first transfer was damaged on the way');
  assert.equal(result.retriedAfter?.code, 'CIPHERTEXT_INVALID');
  assert.notEqual(result.retriedAfter?.migrationId, result.migrationId);
  assert.equal(await ImageCache.of(b.inst).has(image.sha256), true, 'the retry imported the image');
  const atA = new Map((await listMigrations(a.inst)).map((m) => [m.id, m]));
  assert.equal(atA.get(result.retriedAfter.migrationId)?.reason?.code, 'CIPHERTEXT_INVALID');
  assert.equal(atA.get(result.migrationId)?.state, 'done');
  const atB = new Map((await listMigrations(b.inst)).map((m) => [m.id, m]));
  assert.equal(atB.get(result.retriedAfter.migrationId)?.state, 'failed');
  assert.equal(atB.get(result.migrationId)?.state, 'done');
  assert.deepEqual(partialFiles(b), []);
});
