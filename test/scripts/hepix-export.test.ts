import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startVmic, vmic } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';
import { opensslSmimeVerify } from '../helpers/openssl/index.ts';
import { ENDORSER_KEYS, IMAGE_KEYS, LIST_KEYS } from '../../catalog/hepix/index.ts';

// Issue 6, export: every vmic feed serves image.list, which stock `openssl smime -verify`
// accepts with only the demo root, and which a vmic site subscribed with --format hepix
// imports, fetches by SHA-512, approves and deploys.
let dir: string;
let endorserData: string;
let siteData: string;
let pki: string;
let endorser: Awaited<ReturnType<typeof startVmic>>;
let publicUrl: string;
let listFile: string;

function ok(args: string[]) {
  const r = vmic(args);
  assert.equal(r.status, 0, `vmic ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r;
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-hepix-export-'));
  endorserData = path.join(dir, 'endorser');
  siteData = path.join(dir, 'site');
  pki = path.join(dir, 'pki');
  ok(['pki', 'demo', '--out', pki]);
  const port = await freePort();
  publicUrl = `http://127.0.0.1:${port}`;
  const common = ['--data', endorserData, '--public-url', publicUrl];
  ok([
    'endorser',
    'add',
    'cern',
    ...common,
    '--cert',
    path.join(pki, 'endorser.pem'),
    '--chain',
    path.join(pki, 'endorser-chain.pem'),
    '--key',
    path.join(pki, 'endorser.key'),
  ]);
  fs.writeFileSync(path.join(dir, 'v1.img'), crypto.randomBytes(200_000));
  ok([
    'image',
    'add',
    ...common,
    '--endorser',
    'cern',
    '--file',
    path.join(dir, 'v1.img'),
    '--identifier',
    'alma9',
    '--title',
    'AlmaLinux 9',
    '--arch',
    'x86_64',
    '--format',
    'qcow2',
    '--os-name',
    'AlmaLinux',
    '--os-version',
    '9.4',
  ]);
  ok(['publish', ...common, '--endorser', 'cern']);
  endorser = await startVmic(['serve', '--data', endorserData, '--port', String(port)]);
  const res = await fetch(`${publicUrl}/feeds/cern/image.list`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  listFile = path.join(dir, 'image.list');
  fs.writeFileSync(listFile, Buffer.from(await res.arrayBuffer()));
});

after(async () => {
  await endorser?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('openssl smime -verify -CAfile <demo root> accepts image.list and prints a complete list', () => {
  const r = opensslSmimeVerify(listFile, path.join(pki, 'root-ca.pem'));
  assert.ok(r.ok, r.stderr);
  const doc = JSON.parse(r.stdout.toString('utf8')) as { 'hv:imagelist': Record<string, unknown> };
  const list = doc['hv:imagelist'];
  for (const key of LIST_KEYS) assert.ok(key in list, `missing ${key}`);
  const x509 = (list['hv:endorser'] as { 'hv:x509': Record<string, unknown> })['hv:x509'];
  for (const key of ENDORSER_KEYS) assert.ok(key in x509, `missing hv:x509 ${key}`);
  assert.equal(x509['hv:dn'], '/C=CH/O=vmic demo/CN=vmic Demo Endorser');
  assert.equal(x509['hv:ca'], '/C=CH/O=vmic demo/CN=vmic Demo Intermediate CA');
  assert.equal(list['hv:version'], '1');
  assert.match(String(list['dc:date:expires']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  const images = list['hv:images'] as { 'hv:image': Record<string, unknown> }[];
  assert.equal(images.length, 1);
  for (const key of IMAGE_KEYS) assert.ok(key in images[0]!['hv:image'], `missing image ${key}`);
  const bytes = fs.readFileSync(path.join(dir, 'v1.img'));
  assert.equal(
    images[0]!['hv:image']['sl:checksum:sha512'],
    crypto.createHash('sha512').update(bytes).digest('hex'),
  );
});

test('a flipped byte in the signed JSON fails openssl smime -verify', () => {
  const bytes = fs.readFileSync(listFile);
  const i = bytes.indexOf(Buffer.from('AlmaLinux 9'));
  bytes[i]! ^= 0x01;
  const tampered = path.join(dir, 'tampered.list');
  fs.writeFileSync(tampered, bytes);
  const r = opensslSmimeVerify(tampered, path.join(pki, 'root-ca.pem'));
  assert.equal(r.ok, false);
});

test('a vmic site subscribes to the image.list with --format hepix: import → fetch → approve → deployable', () => {
  ok([
    'trust',
    'add',
    '--data',
    siteData,
    path.join(pki, 'anchors.pem'),
    path.join(pki, 'intermediate-ca.pem'),
    path.join(pki, 'crl.pem'),
    path.join(pki, 'root-crl.pem'),
  ]);
  ok([
    'subscribe',
    `${publicUrl}/feeds/cern/`,
    '--format',
    'hepix',
    '--data',
    siteData,
    '--expect-subject',
    '/C=CH/O=vmic demo/CN=vmic Demo Endorser',
  ]);
  const imported = JSON.parse(ok(['import', '--data', siteData, '--json']).stdout) as {
    status: string;
    listVersion: string;
  }[];
  assert.deepEqual(
    imported.map((o) => [o.status, o.listVersion]),
    [['applied', '1']],
  );
  ok(['fetch', '--data', siteData]);
  ok(['approve', 'alma9', '--data', siteData]);
  const c = vmic(['check', 'alma9', '--data', siteData, '--json']);
  assert.equal(c.status, 0, c.stdout);
  ok(['audit', 'verify', '--data', siteData]);
});
