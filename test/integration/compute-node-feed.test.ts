/**
 * A compute node against a real vmic site, end to end, on the real clock. The site
 * (SQLite or PostgreSQL/RGW, as the run chooses) is subscribed to an endorser's signed
 * catalog of three images, has fetched all three and approved two, and signs its approval
 * feed with a site identity issued by stock `openssl ca` (the CA file the node is given is
 * not made by vmic). The real HTTP server serves `/site/approved.p7m` on loopback. The test
 * never fetches the feed for the node: contrib/libvirt-qemu-hook, started as libvirt starts
 * it, runs contrib/vmic-verify-disk, which fetches it with curl (or wget).
 *
 * The tests run in order and share one site and one node state directory: approve, refuse a
 * changed and an unapproved disk, revoke an approval through the product and see the node
 * follow, then stop the site and see the node fall back on the feed it holds.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { derToPem } from '../../pki/index.ts';
import type { Instance } from '../../catalog/index.ts';
import { addTrustMaterial } from '../../catalog/site/trust-store.ts';
import { subscribe } from '../../catalog/site/subscriptions.ts';
import { runImport } from '../../catalog/site/import-run.ts';
import { fetchImages } from '../../catalog/site/fetch-images.ts';
import { approveImage, unapproveImage } from '../../catalog/site/approvals.ts';
import { setSiteIdentity } from '../../catalog/migration/site-identity.ts';
import { readApprovalFeed, refreshApprovalFeed } from '../../catalog/site/approval-feed.ts';
import { decideDeployment } from '../../catalog/site/gate.ts';
import { startServer, type RunningServer } from '../../server/index.ts';
import { NAMES, crlOf, scenario } from '../fixtures/pki-fixtures.ts';
import { tempInstance } from '../helpers/temp-instance.ts';
import { signedCatalog, startFeedServer } from '../catalog/site/helpers/signed-feed.ts';
import {
  randomImage,
  startImageServer,
  type ImageServer,
} from '../catalog/site/helpers/image-server.ts';
import {
  domainXml,
  feedContent,
  feedPki,
  feedSequence,
  hookRefusal,
  oneByteChanged,
  runHookAsLibvirt,
  writeDisk,
  writeHookConf,
  type Disk,
  type FeedPki,
} from '../contrib/helpers/openssl-feed-pki.ts';

const DAY = 86400_000;
const PUBLIC_URL = 'https://vmic.example.org';

let dir = '';
let pki: FeedPki;
let inst: Instance;
let cleanupSite: (() => Promise<void>) | undefined;
let endorserFeed: Awaited<ReturnType<typeof startFeedServer>> | undefined;
let images: ImageServer | undefined;
let server: RunningServer | undefined;
let feedUrl = '';
/** The node's state directory (STATE=), shared by the tests in order. */
let state = '';
let conf = '';
/** Disk files on the node: copies of the site's images' bytes. */
const disk: Record<'a' | 'b' | 'listed' | 'changed', Disk> = {} as never;
const sha: Record<'a' | 'b' | 'listed', string> = {} as never;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function held(): string {
  return path.join(state, 'approved.p7m');
}

async function storedFeed() {
  const f = await readApprovalFeed(inst.store.db);
  assert.ok(f, 'the site has signed a feed');
  return f;
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-compute-node-'));
  pki = feedPki(dir);

  // The endorser: certificates valid around the real time (the shared fixtures are dated
  // 2030), its catalog served by a real HTTP server, its images by another.
  const now = Date.now();
  const valid = { notBefore: new Date(now - 30 * DAY), notAfter: new Date(now + 365 * DAY) };
  const endorser = await scenario({ root: valid, intermediate: valid, leaf: valid });
  endorserFeed = await startFeedServer();
  images = await startImageServer();

  const site = await tempInstance({ publicUrl: PUBLIC_URL });
  inst = site.inst;
  cleanupSite = site.cleanup;
  const trust =
    [endorser.root.certificate, endorser.intermediate.certificate]
      .map((c) => derToPem(c, 'CERTIFICATE'))
      .join('') +
    derToPem(
      await crlOf(endorser.intermediate, [], {
        thisUpdate: new Date(now - DAY),
        nextUpdate: new Date(now + 6 * DAY),
      }),
      'X509 CRL',
    );
  await addTrustMaterial(inst, trust, 'test');
  await subscribe(inst, {
    url: endorserFeed.url,
    expectSubject: NAMES.leaf,
    name: 'fx',
    actor: 'test',
    log: 'off',
  });
  const bytes = {
    a: randomImage(48 * 1024),
    b: randomImage(20 * 1024),
    listed: randomImage(12 * 1024),
  };
  const listing = Object.entries(bytes).map(([name, img]) => {
    images!.serve(`/${img.sha256}`, img.bytes);
    return {
      identifier: `img-${name}`,
      sha256: img.sha256,
      byteSize: img.bytes.length,
      downloadUrl: images!.url(`/${img.sha256}`),
    };
  });
  endorserFeed.serve(
    await signedCatalog({
      signer: endorser.leaf,
      chain: [endorser.intermediate.certificate],
      sequence: 1,
      issued: new Date(now - 3600_000),
      expires: new Date(now + 10 * DAY),
      images: listing,
    }),
  );
  assert.equal((await runImport(inst, { actor: 'test' }))[0]?.status, 'applied');
  assert.equal((await fetchImages(inst, { actor: 'test' })).totals.fetched, 3);
  await approveImage(inst, { image: 'img-a', actor: 'test' });
  await approveImage(inst, { image: 'img-b', actor: 'test' });
  // img-listed stays listed, fetched, and not approved.

  await setSiteIdentity(inst, {
    certificatePem: fs.readFileSync(pki.site.certFile, 'utf8'),
    keyPem: fs.readFileSync(pki.site.keyFile, 'utf8'),
    actor: 'test',
  });

  server = await startServer(inst, { host: '127.0.0.1', port: 0 });
  feedUrl = `${server.url}/site/approved.p7m`;
  assert.match(feedUrl, /^http:\/\/127\.0\.0\.1:\d+\/site\/approved\.p7m$/);

  // The node's disks: byte copies of what the site holds.
  disk.a = writeDisk(path.join(dir, 'node', 'images', 'alma9.img'), bytes.a.bytes);
  disk.b = writeDisk(path.join(dir, 'node', 'images', 'debian12.img'), bytes.b.bytes);
  disk.listed = writeDisk(path.join(dir, 'node', 'images', 'listed.img'), bytes.listed.bytes);
  disk.changed = oneByteChanged(disk.a.file, path.join(dir, 'node', 'images', 'alma9-x.img'), 777);
  sha.a = bytes.a.sha256;
  sha.b = bytes.b.sha256;
  sha.listed = bytes.listed.sha256;
  state = path.join(dir, 'node', 'state');
  conf = writeHookConf(path.join(dir, 'node', 'verify-disk.conf'), {
    feed: feedUrl,
    ca: pki.caFile,
    subject: pki.subject,
    state,
  });
});

after(async () => {
  await server?.close();
  await endorserFeed?.stop();
  await images?.close();
  await cleanupSite?.();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('the site signed feed 1 with its openssl-issued identity, listing the two approved images', async () => {
  const f = await storedFeed();
  assert.equal(f.sequence, 1);
  const p7m = path.join(dir, 'site-feed-1.p7m');
  fs.writeFileSync(p7m, Buffer.from(f.p7m, 'base64'));
  const text = feedContent(p7m, pki.caFile);
  assert.match(text, new RegExp(`^site ${escapeRe(PUBLIC_URL)}$`, 'm'));
  const listed = [...text.matchAll(/^image ([0-9a-f]{64}) /gm)].map((m) => m[1]);
  assert.deepEqual(listed.sort(), [sha.a, sha.b].sort());
  assert.equal(disk.a.sha, sha.a);
});

test('(a) approved disks: the hook exits 0 and the node now holds feed 1', async () => {
  assert.equal(fs.existsSync(state), false);
  const r = await runHookAsLibvirt(conf, 'vm-a', domainXml('vm-a', [disk.a.file, disk.b.file]));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, '');
  assert.deepEqual(fs.readFileSync(held()), Buffer.from((await storedFeed()).p7m, 'base64'));
  assert.equal(feedSequence(held(), pki.caFile), 1);
});

test('(b) the approved image with one byte changed: refused, NOT_APPROVED', async () => {
  assert.equal(disk.changed.size, disk.a.size);
  const r = await runHookAsLibvirt(conf, 'vm-b', domainXml('vm-b', [disk.changed.file]));
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    `refused ${disk.changed.file}: NOT_APPROVED: sha256 ${disk.changed.sha} is not approved\n` +
      hookRefusal('vm-b'),
  );
});

test('(c) an image the site lists and holds but did not approve: refused, NOT_APPROVED', async () => {
  const gate = await decideDeployment(inst, 'img-listed');
  assert.equal(gate.deployable, false);
  assert.equal(gate.sha256, sha.listed);
  assert.deepEqual(
    gate.reasons.map((r) => r.code),
    ['NOT_APPROVED'],
  );
  const r = await runHookAsLibvirt(
    conf,
    'vm-c',
    domainXml('vm-c', [disk.b.file, disk.listed.file]),
  );
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    `refused ${disk.listed.file}: NOT_APPROVED: sha256 ${sha.listed} is not approved\n` +
      hookRefusal('vm-c'),
  );
});

test('approval revoked through the product: feed 2 is signed; the disk is refused, the node holds 2', async () => {
  assert.equal((await decideDeployment(inst, 'img-a')).deployable, true);
  // What `vmic unapprove img-a` and the API call; it re-signs the feed after the change.
  await unapproveImage(inst, { image: 'img-a', actor: 'test' });
  // The refresh the server's timer runs: the change already signed feed 2, nothing more is due.
  assert.deepEqual(await refreshApprovalFeed(inst), {
    signed: false,
    reason: 'unchanged',
    sequence: 2,
  });
  assert.equal((await decideDeployment(inst, 'img-a')).deployable, false);
  assert.equal(feedSequence(held(), pki.caFile), 1);

  const r = await runHookAsLibvirt(conf, 'vm-a', domainXml('vm-a', [disk.a.file, disk.b.file]));
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    `refused ${disk.a.file}: NOT_APPROVED: sha256 ${sha.a} is not approved\n` + hookRefusal('vm-a'),
  );
  assert.equal(feedSequence(held(), pki.caFile), 2);
  assert.deepEqual(fs.readFileSync(held()), Buffer.from((await storedFeed()).p7m, 'base64'));
  assert.deepEqual(fs.readdirSync(state), ['approved.p7m']);

  // The image still approved starts.
  const ok = await runHookAsLibvirt(conf, 'vm-b', domainXml('vm-b', [disk.b.file]));
  assert.equal(ok.status, 0, ok.stderr);
});

test('site stopped: the node uses its held feed 2 while valid (b starts, a refused); no held feed: FEED_UNAVAILABLE', async () => {
  const f = await storedFeed();
  const expires = Math.floor(Date.parse(f.expiresAt) / 1000);
  assert.ok(expires * 1000 > Date.now(), 'feed 2 is unexpired');
  await server!.close();
  server = undefined;

  const ok = await runHookAsLibvirt(conf, 'vm-b', domainXml('vm-b', [disk.b.file]));
  assert.equal(ok.status, 0, ok.stderr);
  // The hook prints the verifier's note only on a refusal, so the note shows here:
  const r = await runHookAsLibvirt(conf, 'vm-a', domainXml('vm-a', [disk.a.file, disk.b.file]));
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  const expected = new RegExp(
    '^' +
      escapeRe(`vmic-verify-disk: note: cannot get the feed ${feedUrl} (`) +
      '[^\\n]+' +
      escapeRe(`); using the held feed, sequence 2, valid until epoch ${expires}\n`) +
      escapeRe(`refused ${disk.a.file}: NOT_APPROVED: sha256 ${sha.a} is not approved\n`) +
      escapeRe(hookRefusal('vm-a')) +
      '$',
  );
  assert.match(r.stderr, expected);
  assert.equal(feedSequence(held(), pki.caFile), 2);

  // Without a held feed the same unreachable site refuses every start.
  const none = writeHookConf(path.join(dir, 'node', 'no-state.conf'), {
    feed: feedUrl,
    ca: pki.caFile,
    subject: pki.subject,
    state: path.join(dir, 'node', 'empty-state'),
  });
  const refused = await runHookAsLibvirt(none, 'vm-b', domainXml('vm-b', [disk.b.file]));
  assert.equal(refused.status, 1);
  assert.match(
    refused.stderr,
    new RegExp(
      `^vmic-verify-disk: FEED_UNAVAILABLE: cannot get the feed ${escapeRe(feedUrl)} \\([^\\n]+\\) and no held feed\\n` +
        `${escapeRe(hookRefusal('vm-b'))}$`,
    ),
  );
});
