/**
 * contrib/libvirt-qemu-hook started as libvirt starts it (`qemu DOMAIN prepare begin -`,
 * domain XML on stdin), on the feed cases test/contrib/verify-disk.test.ts checks only at
 * the verifier: a disk changed by one byte after approval, an expired feed, a rolled-back
 * feed, a feed signed by another site of the same CA, and a feed that lists no image. Each
 * case checks the exit code (libvirt refuses to start the domain on any non-zero exit) and
 * the exact stderr libvirt shows, and runs a control that passes with the same disks and
 * configuration but a good feed, so the refusal is the feed's doing. PKI and feeds are made
 * by stock OpenSSL (`openssl ca`, `openssl cms -sign`).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  domainXml,
  epochNow,
  feedPki,
  feedSequence,
  feedText,
  hookRefusal,
  oneByteChanged,
  runHookAsLibvirt,
  signFeed,
  writeDisk,
  writeHookConf,
  type Disk,
  type FeedPki,
} from './helpers/openssl-feed-pki.ts';

let dir = '';
let pki: FeedPki;
let a: Disk;
let b: Disk;
let confs = 0;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-hook-feeds-'));
  pki = feedPki(dir);
  a = writeDisk(path.join(dir, 'disks', 'alma9.img'), crypto.randomBytes(64 * 1024));
  b = writeDisk(path.join(dir, 'disks', 'withdrawn.img'), crypto.randomBytes(16 * 1024));
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function newState(): string {
  return fs.mkdtempSync(path.join(dir, 'state-'));
}

/** A configuration file for `feed`, pinned to the site, with its own state directory. */
function conf(feed: string, state = newState()): { file: string; state: string } {
  confs += 1;
  const file = writeHookConf(path.join(dir, `verify-disk-${confs}.conf`), {
    feed,
    ca: pki.caFile,
    subject: pki.subject,
    state,
  });
  return { file, state };
}

function held(state: string): string {
  return path.join(state, 'approved.p7m');
}

test('the pinned subject is what openssl prints, and differs from the other site', () => {
  assert.equal(pki.subject, 'O=Example,CN=site.example.org');
  assert.equal(pki.otherSubject, 'O=Example,CN=other.example.org');
});

test('control: an approved disk, a good feed: exit 0, nothing printed, the feed held', async () => {
  const feed = signFeed(dir, feedText({ sequence: 10, disks: [a] }), pki.site);
  const c = conf(feed);
  const r = await runHookAsLibvirt(c.file, 'vm1', domainXml('vm1', [a.file]));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.equal(r.stdout, '');
  assert.deepEqual(fs.readFileSync(held(c.state)), fs.readFileSync(feed));
});

test('a disk changed by one byte after approval: exit 1, NOT_APPROVED with its new sha256', async () => {
  const feed = signFeed(dir, feedText({ sequence: 10, disks: [a] }), pki.site);
  const changed = oneByteChanged(a.file, path.join(dir, 'disks', 'alma9-changed.img'), 4097);
  assert.equal(changed.size, a.size);
  assert.notEqual(changed.sha, a.sha);
  const c = conf(feed);
  // The original bytes pass with this very configuration...
  const ok = await runHookAsLibvirt(c.file, 'vm1', domainXml('vm1', [a.file]));
  assert.equal(ok.status, 0, ok.stderr);
  // ...the same file name's content with one byte changed does not.
  const r = await runHookAsLibvirt(c.file, 'vm1', domainXml('vm1', [changed.file]));
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    `refused ${changed.file}: NOT_APPROVED: sha256 ${changed.sha} is not approved\n` +
      hookRefusal('vm1'),
  );
  // One changed disk among approved ones refuses the whole domain.
  const mixed = await runHookAsLibvirt(c.file, 'vm2', domainXml('vm2', [a.file, changed.file]));
  assert.equal(mixed.status, 1);
  assert.equal(
    mixed.stderr,
    `refused ${changed.file}: NOT_APPROVED: sha256 ${changed.sha} is not approved\n` +
      hookRefusal('vm2'),
  );
});

test('an expired feed: exit 1, EXPIRED naming its sequence and expiry; nothing held', async () => {
  const expires = epochNow() - 60;
  const feed = signFeed(
    dir,
    feedText({ sequence: 10, issued: expires - 3600, expires, disks: [a] }),
    pki.site,
  );
  const c = conf(feed);
  const r = await runHookAsLibvirt(c.file, 'vm1', domainXml('vm1', [a.file]));
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  const m = new RegExp(
    `^vmic-verify-disk: EXPIRED: the feed \\(sequence 10\\) expired at epoch ${expires}, now is (\\d+)\\n` +
      `${hookRefusal('vm1').replace(/[.()]/g, '\\$&')}$`,
  ).exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.ok(Number(m[1]) >= expires, r.stderr);
  assert.deepEqual(fs.readdirSync(c.state), []);

  // A valid held feed does not stand in for an expired one that was fetched: still
  // refused, and the held feed is kept as it was.
  const good = signFeed(dir, feedText({ sequence: 9, disks: [a] }), pki.site);
  const state = newState();
  fs.copyFileSync(good, held(state));
  const withHeld = await runHookAsLibvirt(
    conf(feed, state).file,
    'vm1',
    domainXml('vm1', [a.file]),
  );
  assert.equal(withHeld.status, 1);
  assert.match(withHeld.stderr, /^vmic-verify-disk: EXPIRED: the feed \(sequence 10\) expired/);
  assert.deepEqual(fs.readFileSync(held(state)), fs.readFileSync(good));
});

test('a rolled-back feed (state holds sequence 5, feed 4 still lists a withdrawn disk): ROLLBACK', async () => {
  // Sequence 4 approved both disks; sequence 5 withdrew b. A replay of 4 would approve b.
  const four = signFeed(dir, feedText({ sequence: 4, disks: [a, b] }), pki.site);
  const five = signFeed(dir, feedText({ sequence: 5, disks: [a] }), pki.site);
  const state = newState();
  const onFive = await runHookAsLibvirt(conf(five, state).file, 'vm1', domainXml('vm1', [a.file]));
  assert.equal(onFive.status, 0, onFive.stderr);
  assert.equal(feedSequence(held(state), pki.caFile), 5);

  // Control: a node that never saw 5 accepts 4 and starts b.
  const fresh = await runHookAsLibvirt(conf(four).file, 'vm1', domainXml('vm1', [b.file]));
  assert.equal(fresh.status, 0, fresh.stderr);

  const r = await runHookAsLibvirt(conf(four, state).file, 'vm1', domainXml('vm1', [b.file]));
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    'vmic-verify-disk: ROLLBACK: the feed has sequence 4, older than the held sequence 5\n' +
      hookRefusal('vm1'),
  );
  // Not even the disk that 4 and 5 both approve starts on the older feed.
  const alsoA = await runHookAsLibvirt(conf(four, state).file, 'vm1', domainXml('vm1', [a.file]));
  assert.equal(alsoA.status, 1);
  assert.match(alsoA.stderr, /^vmic-verify-disk: ROLLBACK: /);
  assert.deepEqual(fs.readFileSync(held(state)), fs.readFileSync(five));
  assert.deepEqual(fs.readdirSync(state), ['approved.p7m']);
});

test('a feed signed by another site of the same CA: exit 1, SUBJECT_MISMATCH naming both', async () => {
  const text = feedText({ sequence: 10, disks: [a] });
  const other = signFeed(dir, text, pki.otherSite);
  const c = conf(other);
  const r = await runHookAsLibvirt(c.file, 'vm1', domainXml('vm1', [a.file]));
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    `vmic-verify-disk: SUBJECT_MISMATCH: the feed is signed by "${pki.otherSubject}", expected "${pki.subject}"\n` +
      hookRefusal('vm1'),
  );
  assert.deepEqual(fs.readdirSync(c.state), []);
  // The same text signed by the pinned site starts the domain.
  const ok = await runHookAsLibvirt(
    conf(signFeed(dir, text, pki.site)).file,
    'vm1',
    domainXml('vm1', [a.file]),
  );
  assert.equal(ok.status, 0, ok.stderr);
});

test('a valid feed that lists no image (every approval revoked): exit 1, NOT_APPROVED', async () => {
  const empty = signFeed(dir, feedText({ sequence: 11, disks: [] }), pki.site);
  const c = conf(empty);
  const r = await runHookAsLibvirt(c.file, 'vm1', domainXml('vm1', [a.file]));
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    `refused ${a.file}: NOT_APPROVED: sha256 ${a.sha} is not approved\n` + hookRefusal('vm1'),
  );
  // The empty feed was valid: it is now the held one.
  assert.equal(feedSequence(held(c.state), pki.caFile), 11);
});
