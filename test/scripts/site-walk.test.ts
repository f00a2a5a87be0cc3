import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startVmic, vmic } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';

// docs/design.md §5–7 end to end, through the real command line: an endorser instance serving
// HTTP on loopback, and a site instance in another data directory that imports from it.
let dir: string;
let endorserData: string;
let siteData: string;
let pki: string;
let endorser: Awaited<ReturnType<typeof startVmic>>;
let feedUrl: string;

function ok(args: string[]) {
  const r = vmic(args);
  assert.equal(r.status, 0, `vmic ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r;
}

function check(image: string): {
  status: number;
  codes: string[];
  decision: Record<string, unknown>;
} {
  const r = vmic(['check', image, '--data', siteData, '--json']);
  const decision = JSON.parse(r.stdout) as { reasons: { code: string }[] };
  return { status: r.status, codes: decision.reasons.map((x) => x.code).sort(), decision };
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-walk-'));
  endorserData = path.join(dir, 'endorser');
  siteData = path.join(dir, 'site');
  pki = path.join(dir, 'pki');
  ok(['pki', 'demo', '--out', pki]);
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  ok([
    'endorser',
    'add',
    'cern',
    '--data',
    endorserData,
    '--public-url',
    publicUrl,
    '--cert',
    path.join(pki, 'endorser.pem'),
    '--chain',
    path.join(pki, 'endorser-chain.pem'),
    '--key',
    path.join(pki, 'endorser.key'),
  ]);
  fs.writeFileSync(path.join(dir, 'v1.img'), crypto.randomBytes(1024 * 1024 + 3));
  ok([
    'image',
    'add',
    '--data',
    endorserData,
    '--public-url',
    publicUrl,
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
  ]);
  ok(['publish', '--data', endorserData, '--public-url', publicUrl, '--endorser', 'cern']);
  endorser = await startVmic(['serve', '--data', endorserData, '--port', String(port)]);
  feedUrl = `${publicUrl}/feeds/cern/`;
});

after(async () => {
  await endorser?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('publish → subscribe → import → check → fetch → approve → deployable → withdraw → not endorsed', () => {
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
    feedUrl,
    '--data',
    siteData,
    '--expect-subject',
    'CN=vmic Demo Endorser,O=vmic demo,C=CH',
    '--expect-issuer',
    '/C=CH/O=vmic demo/CN=vmic Demo Intermediate CA',
  ]);
  const imported = JSON.parse(ok(['import', '--data', siteData, '--json']).stdout) as {
    status: string;
    sequence: number;
  }[];
  assert.deepEqual(
    imported.map((o) => [o.status, o.sequence]),
    [['applied', 1]],
  );

  let c = check('alma9');
  assert.equal(c.status, 3);
  assert.deepEqual(c.codes, ['NOT_APPROVED', 'NOT_FETCHED']);

  ok(['fetch', '--data', siteData]);
  c = check('alma9');
  assert.deepEqual(c.codes, ['NOT_APPROVED']);

  ok(['approve', 'alma9', '--data', siteData]);
  c = check('alma9');
  assert.equal(c.status, 0);
  assert.deepEqual(c.codes, []);
  const sha = c.decision.sha256 as string;
  assert.equal(check(`sha256:${sha}`).status, 0);

  // A second import run with nothing new costs one conditional request and changes nothing.
  const again = JSON.parse(ok(['import', '--data', siteData, '--json']).stdout) as {
    status: string;
  }[];
  assert.equal(again[0]?.status, 'not-modified');

  ok(['image', 'withdraw', 'alma9', '--data', endorserData]);
  ok(['publish', '--data', endorserData, '--endorser', 'cern']);
  const second = JSON.parse(ok(['import', '--data', siteData, '--json']).stdout) as {
    status: string;
    sequence: number;
    counts: { withdrawn: number };
  }[];
  assert.equal(second[0]?.sequence, 2);
  assert.equal(second[0]?.counts.withdrawn, 1);
  c = check('alma9');
  assert.equal(c.status, 3);
  assert.deepEqual(c.codes, ['NOT_ENDORSED']);

  ok(['audit', 'verify', '--data', siteData]);
  ok(['audit', 'verify', '--data', endorserData]);
});

test('approving version 1 does not approve version 2 with other bytes', () => {
  fs.writeFileSync(path.join(dir, 'v2.img'), crypto.randomBytes(512 * 1024));
  ok([
    'image',
    'add',
    '--data',
    endorserData,
    '--endorser',
    'cern',
    '--file',
    path.join(dir, 'v2.img'),
    '--identifier',
    'alma9',
    '--title',
    'AlmaLinux 9 (update)',
    '--arch',
    'x86_64',
    '--format',
    'qcow2',
  ]);
  ok(['publish', '--data', endorserData, '--endorser', 'cern']);
  ok(['import', '--data', siteData]);
  const c = check('alma9');
  assert.equal(c.status, 3);
  assert.deepEqual(c.codes, ['NOT_APPROVED', 'NOT_FETCHED']);
  // Endorser-level approval covers it, and later versions too.
  ok(['approve', '--endorser', 'cern', '--data', siteData]);
  ok(['fetch', '--data', siteData]);
  assert.equal(check('alma9').status, 0);
  ok(['unapprove', '--endorser', 'cern', '--data', siteData]);
  assert.deepEqual(check('alma9').codes, ['NOT_APPROVED']);
});

test('a disabled subscription makes its images undeployable; unknown images are UNKNOWN_IMAGE', () => {
  ok(['approve', 'alma9', '--data', siteData]);
  assert.equal(check('alma9').status, 0);
  ok(['subscription', 'disable', 'cern', '--data', siteData]);
  assert.deepEqual(check('alma9').codes, ['SUBSCRIPTION_DISABLED']);
  ok(['subscription', 'enable', 'cern', '--data', siteData]);
  const unknown = check('no-such-image');
  assert.equal(unknown.status, 3);
  assert.deepEqual(unknown.codes, ['UNKNOWN_IMAGE']);
});
