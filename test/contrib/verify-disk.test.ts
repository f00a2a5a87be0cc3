/**
 * contrib/vmic-verify-disk and contrib/libvirt-qemu-hook, run by /bin/sh (dash on Debian)
 * the way a compute node and libvirt run them. Every input is made by stock OpenSSL, not
 * by vmic (STYLE §9): the CA and site certificates by `openssl ca`, the approval feeds by
 * `openssl cms -sign -binary -nodetach -outform DER`. Each case checks the exit code and
 * the reason's code word.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { opensslLeaf, opensslOk, opensslRoot } from '../helpers/openssl/index.ts';
import type { IssuedCert } from '../helpers/openssl/index.ts';
import {
  HOOK,
  VERIFIER,
  domainXml as libvirtDomainXml,
  feedPki,
  epochNow,
  feedText as siteFeedText,
  oneByteChanged,
  rfc2253Subject,
  sh,
  signFeed,
  writeDisk,
  writeHookConf,
} from './helpers/openssl-feed-pki.ts';
import type { Disk, Run } from './helpers/openssl-feed-pki.ts';

/** The site subject as `openssl x509 -noout -subject -nameopt RFC2253` prints it. */
const SUBJECT = 'O=Example,CN=site.example.org';

let dir = '';
let caFile = '';
let site: IssuedCert;
let otherSite: IssuedCert;
let foreignSite: IssuedCert;
let approvedA = '';
let approvedB = '';
let unapproved = '';
let confs = 0;

function disk(name: string, bytes: Buffer): Disk {
  return writeDisk(path.join(dir, 'disks', name), bytes);
}

/**
 * Feed content in the fixed format; `expiresIn` seconds from now (negative: expired). The
 * image lines have the reason `approved` and identifiers with spaces (`NAME linux 64 bit`).
 */
function feedText(o: { sequence: number; expiresIn?: number; disks: Disk[] }): string {
  const now = epochNow();
  return siteFeedText({
    sequence: o.sequence,
    disks: o.disks,
    issued: now,
    expires: now + (o.expiresIn ?? 3600),
    entry: (d) => `approved cern ${path.basename(d.file)} linux 64 bit`,
  });
}

/** Signs `text` with stock `openssl cms`; returns the DER file. */
function sign(text: string, signer: IssuedCert = site): string {
  return signFeed(dir, text, signer);
}

let disks: { a: Disk; b: Disk; c: Disk };

function goodFeed(sequence = 10): string {
  return sign(feedText({ sequence, disks: [disks.a, disks.b] }));
}

function verify(feed: string, files: string[], state?: string): Promise<Run> {
  return sh(
    VERIFIER,
    ['--feed', feed, '--ca', caFile, '--subject', SUBJECT]
      .concat(state !== undefined ? ['--state', state] : [])
      .concat(files),
  );
}

function newState(): string {
  return fs.mkdtempSync(path.join(dir, 'state-'));
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-verify-disk-'));
  const pki = feedPki(dir);
  caFile = pki.caFile;
  site = pki.site;
  otherSite = pki.otherSite;
  const foreignCa = opensslRoot(dir, 'foreign-ca', '/CN=Foreign CA');
  // Same subject as the real site, but from a CA the node does not trust.
  foreignSite = opensslLeaf(foreignCa, 'site', '/O=Example/CN=site.example.org');
  disks = {
    a: disk('base a.img', crypto.randomBytes(70_000)),
    b: disk('b.qcow2', crypto.randomBytes(5_000)),
    c: disk('unapproved.img', crypto.randomBytes(4_000)),
  };
  approvedA = disks.a.file;
  approvedB = disks.b.file;
  unapproved = disks.c.file;
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the pinned subject is the RFC 2253 form openssl prints', () => {
  const out = opensslOk([
    'x509',
    '-in',
    site.certFile,
    '-noout',
    '-subject',
    '-nameopt',
    'RFC2253',
  ]);
  assert.equal(out.toString('utf8').trim(), `subject=${SUBJECT}`);
  assert.equal(rfc2253Subject(site.certFile), SUBJECT);
});

test('approved disks: exit 0, one ok line per disk with endorser/identifier and reason', async () => {
  const r = await verify(goodFeed(), [approvedA, approvedB]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.equal(lines[0], `ok ${approvedA} ${disks.a.sha} cern/base a.img linux 64 bit (approved)`);
  assert.match(lines[1] ?? '', new RegExp(`^ok ${approvedB} ${disks.b.sha} cern/b\\.qcow2 `));
});

test('an unapproved disk: exit 1, NOT_APPROVED naming its sha256', async () => {
  const r = await verify(goodFeed(), [approvedA, unapproved]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^ok /);
  assert.ok(
    r.stderr.includes(`refused ${unapproved}: NOT_APPROVED: sha256 ${disks.c.sha} is not approved`),
    r.stderr,
  );
});

test('a disk changed by one byte after approval: NOT_APPROVED', async () => {
  const feed = goodFeed();
  const changed = oneByteChanged(approvedA, path.join(dir, 'disks', 'changed.img'), 1234);
  assert.equal(changed.size, disks.a.size);
  assert.notEqual(changed.sha, disks.a.sha);
  const r = await verify(feed, [changed.file]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /NOT_APPROVED/);
});

test('a tampered feed (one DER byte flipped): SIGNATURE_INVALID', async () => {
  const der = fs.readFileSync(goodFeed());
  // Flip a byte inside the signed content (the sequence digit), not the DER framing.
  const at = der.indexOf(Buffer.from('sequence 10'));
  assert.ok(at > 0);
  der[at + 9] = '9'.charCodeAt(0);
  const tampered = path.join(dir, 'tampered.p7m');
  fs.writeFileSync(tampered, der);
  const r = await verify(tampered, [approvedA]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /SIGNATURE_INVALID/);
  assert.equal(r.stdout, '');
});

test('an expired feed: EXPIRED', async () => {
  const feed = sign(feedText({ sequence: 10, expiresIn: -60, disks: [disks.a] }));
  const r = await verify(feed, [approvedA]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /EXPIRED/);
});

test('rolled back: the state holds sequence 5, the feed is 4: ROLLBACK, state kept', async () => {
  const state = newState();
  const five = goodFeed(5);
  assert.equal((await verify(five, [approvedA], state)).status, 0);
  assert.deepEqual(fs.readFileSync(path.join(state, 'approved.p7m')), fs.readFileSync(five));
  const r = await verify(goodFeed(4), [approvedA], state);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ROLLBACK/);
  assert.deepEqual(fs.readFileSync(path.join(state, 'approved.p7m')), fs.readFileSync(five));
  // A newer feed replaces the held one.
  const six = goodFeed(6);
  assert.equal((await verify(six, [approvedA], state)).status, 0);
  assert.deepEqual(fs.readFileSync(path.join(state, 'approved.p7m')), fs.readFileSync(six));
  assert.deepEqual(fs.readdirSync(state), ['approved.p7m']);
});

test('the same sequence with different bytes: EQUIVOCATION; the same feed again: ok', async () => {
  const state = newState();
  const first = goodFeed(7);
  assert.equal((await verify(first, [approvedA], state)).status, 0);
  assert.equal((await verify(first, [approvedA], state)).status, 0);
  const r = await verify(goodFeed(7), [approvedA], state);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /EQUIVOCATION/);
});

test('signed by another site of the same CA: SUBJECT_MISMATCH', async () => {
  const feed = sign(feedText({ sequence: 10, disks: [disks.a] }), otherSite);
  const r = await verify(feed, [approvedA]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /SUBJECT_MISMATCH/);
  assert.match(r.stderr, /CN=other\.example\.org/);
});

test('signed by a certificate from another CA (same subject): SIGNATURE_INVALID', async () => {
  const feed = sign(feedText({ sequence: 10, disks: [disks.a] }), foreignSite);
  const r = await verify(feed, [approvedA]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /SIGNATURE_INVALID/);
});

test('malformed content, validly signed: MALFORMED', async () => {
  const good = feedText({ sequence: 10, disks: [disks.a] });
  const cases = [
    good.replace('vmic-approved-images 1', 'vmic-approved-images 2'),
    good.replace('end\n', ''),
    good.replace(/^sequence 10\n/m, ''),
    good.replace('sequence 10', 'sequence ten'),
    good.replace(/^(expires .*)$/m, '$1\n$1'),
    good.replace(`image ${disks.a.sha}`, `image ${disks.a.sha.toUpperCase()}`),
    good.replace('image ', 'image  '),
    good.replace('end\n', 'end\nimage x\n'),
    good.replace(/\n/g, '\r\n'),
  ];
  for (const text of cases) {
    const r = await verify(sign(text), [approvedA]);
    assert.equal(r.status, 1, text);
    assert.match(r.stderr, /MALFORMED/, text);
  }
});

test('usage errors: exit 2 with USAGE; --help: exit 0', async () => {
  const feed = goodFeed();
  for (const args of [
    [],
    ['--feed', feed, '--ca', caFile, '--subject', SUBJECT],
    ['--feed', feed, '--subject', SUBJECT, approvedA],
    ['--feed', feed, '--ca', caFile, approvedA],
    ['--bogus', approvedA],
    ['--feed'],
  ]) {
    const r = await sh(VERIFIER, args);
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /USAGE/);
  }
  const help = await sh(VERIFIER, ['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: vmic-verify-disk --feed URL_OR_FILE/);
});

test('feed over HTTP; unavailable with a valid held feed: note and 0; without: FEED_UNAVAILABLE', async () => {
  let body: Buffer | undefined = fs.readFileSync(goodFeed(20));
  const server = http.createServer((req, res) => {
    if (body === undefined || req.url !== '/site/approved.p7m') {
      res.writeHead(503).end('down');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/pkcs7-mime' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/site/approved.p7m`;
    const state = newState();
    const ok = await verify(url, [approvedA], state);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^ok /);
    body = undefined;
    const held = await verify(url, [approvedA], state);
    assert.equal(held.status, 0, held.stderr);
    assert.match(held.stderr, /note: cannot get the feed .* using the held feed, sequence 20/);
    const heldRefused = await verify(url, [unapproved], state);
    assert.equal(heldRefused.status, 1);
    assert.match(heldRefused.stderr, /NOT_APPROVED/);
    const none = await verify(url, [approvedA], newState());
    assert.equal(none.status, 1);
    assert.match(none.stderr, /FEED_UNAVAILABLE/);
    const noState = await verify(url, [approvedA]);
    assert.equal(noState.status, 1);
    assert.match(noState.stderr, /FEED_UNAVAILABLE/);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('feed unavailable and the held feed expired: FEED_UNAVAILABLE', async () => {
  const state = newState();
  fs.copyFileSync(
    sign(feedText({ sequence: 3, expiresIn: -10, disks: [disks.a] })),
    path.join(state, 'approved.p7m'),
  );
  const r = await verify(path.join(dir, 'no-such-feed.p7m'), [approvedA], state);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /FEED_UNAVAILABLE.*EXPIRED/);
});

/** Domain `vm1` with qcow2 file disks, and `extra` device XML on a line after them. */
function domainXml(files: string[], extra = ''): string {
  return libvirtDomainXml('vm1', files, { driver: 'qcow2', devices: extra });
}

function hookConf(feed: string, extra = ''): string {
  confs += 1;
  return writeHookConf(path.join(dir, `verify-disk-${confs}.conf`), {
    feed,
    ca: caFile,
    subject: SUBJECT,
    state: newState(),
    extra,
  });
}

/** The hook run by /bin/sh with this process's environment (not as libvirt starts it). */
function hook(args: string[], xml: string, conf: string): Promise<Run> {
  return sh(HOOK, args, {
    input: xml,
    env: { VMIC_VERIFY_DISK_CONF: conf, VMIC_VERIFY_DISK: VERIFIER },
  });
}

test('hook, prepare begin: all file disks approved (cdrom and network disk ignored): 0', async () => {
  const conf = hookConf(goodFeed());
  const extra = `    <disk type='file' device='cdrom'>
      <source file='${unapproved}'/>
      <target dev='sda' bus='sata'/>
    </disk>
    <disk type='network' device='disk'>
      <source protocol='rbd' name='pool/image'/>
      <target dev='vdz' bus='virtio'/>
    </disk>`;
  const r = await hook(
    ['vm1', 'prepare', 'begin', '-'],
    domainXml([approvedA, approvedB], extra),
    conf,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
});

test('hook, prepare begin: a listed backingStore file that is not approved refuses', async () => {
  const conf = hookConf(goodFeed());
  const xml = domainXml([approvedA]).replace(
    '<backingStore/>',
    `<backingStore type='file' index='2'>
        <format type='raw'/>
        <source file='${unapproved}'/>
        <backingStore/>
      </backingStore>`,
  );
  const r = await hook(['vm1', 'prepare', 'begin', '-'], xml, conf);
  assert.notEqual(r.status, 0);
  assert.ok(r.stderr.includes(`refused ${unapproved}: NOT_APPROVED`), r.stderr);
});

test('hook, prepare begin: one unapproved disk refuses the domain with the reason on stderr', async () => {
  const conf = hookConf(goodFeed());
  const r = await hook(['vm1', 'prepare', 'begin', '-'], domainXml([approvedA, unapproved]), conf);
  assert.notEqual(r.status, 0);
  assert.ok(r.stderr.includes(`refused ${unapproved}: NOT_APPROVED`), r.stderr);
  assert.match(r.stderr, /domain vm1: refused to start/);
});

test('hook, prepare begin: a tampered feed refuses the domain (SIGNATURE_INVALID)', async () => {
  const der = fs.readFileSync(goodFeed());
  const at = der.indexOf(Buffer.from('vmic-approved-images'));
  assert.ok(at > 0);
  der[at] = 'V'.charCodeAt(0);
  const tampered = path.join(dir, 'hook-tampered.p7m');
  fs.writeFileSync(tampered, der);
  const r = await hook(
    ['vm1', 'prepare', 'begin', '-'],
    domainXml([approvedA]),
    hookConf(tampered),
  );
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /SIGNATURE_INVALID/);
});

test('hook, other operations (started begin, stopped end): 0 without checking', async () => {
  const missingConf = path.join(dir, 'no-such.conf');
  for (const args of [
    ['vm1', 'started', 'begin', '-'],
    ['vm1', 'stopped', 'end', '-'],
    ['vm1', 'prepare', 'end', '-'],
  ]) {
    const r = await hook(args, domainXml([unapproved]), missingConf);
    assert.equal(r.status, 0, r.stderr);
  }
  // ...while prepare begin without a configuration fails closed.
  const r = await hook(['vm1', 'prepare', 'begin', '-'], domainXml([approvedA]), missingConf);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /cannot read/);
});

/**
 * A qcow2 overlay as Nova makes it (instances/UUID/disk over _base/...): a version 2
 * header written here by hand, because qemu-img is not a test tool. Only the fields the
 * hook reads matter: magic, backing_file_offset, backing_file_size, then the name.
 */
function qcow2Overlay(name: string, backing: string): string {
  const header = Buffer.alloc(72);
  header.write('QFI\xfb', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeBigUInt64BE(72n, 8);
  header.writeUInt32BE(Buffer.byteLength(backing), 16);
  header.writeUInt32BE(16, 20);
  header.writeBigUInt64BE(BigInt(disks.b.size), 24);
  const file = path.join(dir, 'instances', name, 'disk');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.concat([header, Buffer.from(backing), crypto.randomBytes(512)]));
  return file;
}

test('hook, Nova overlay: QCOW2_OVERLAY=backing checks the backing file, not the overlay', async () => {
  const feed = goodFeed();
  const good = qcow2Overlay('uuid-1', '../../disks/b.qcow2');
  const bad = qcow2Overlay('uuid-2', unapproved);
  const backing = hookConf(feed, 'QCOW2_OVERLAY=backing\n');
  const ok = await hook(['vm1', 'prepare', 'begin', '-'], domainXml([good]), backing);
  assert.equal(ok.status, 0, ok.stderr);
  const refused = await hook(['vm2', 'prepare', 'begin', '-'], domainXml([bad]), backing);
  assert.notEqual(refused.status, 0);
  assert.ok(refused.stderr.includes(`refused ${unapproved}: NOT_APPROVED`), refused.stderr);
  // Default (self): the per-instance overlay itself is never in the feed.
  const self = await hook(['vm1', 'prepare', 'begin', '-'], domainXml([good]), hookConf(feed));
  assert.notEqual(self.status, 0);
  assert.ok(self.stderr.includes(`refused ${good}: NOT_APPROVED`), self.stderr);
});

test('both scripts are executable and parse with /bin/sh -n (dash on Debian)', async () => {
  for (const script of [VERIFIER, HOOK]) {
    assert.ok((fs.statSync(script).mode & 0o111) !== 0, `${script} is not executable`);
    const r = await sh('-n', [script]);
    assert.equal(r.status, 0, r.stderr);
  }
});
