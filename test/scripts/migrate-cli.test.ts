import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startVmic, vmic } from '../helpers/cli.ts';
import { freePort } from '../helpers/free-port.ts';
import { opensslSiteCertificate } from '../../scripts/demo/openssl-site-certificate.ts';

// `vmic site`, `peer`, `migrate --dir`, `transfer receive` and `migrations`, through the
// real command line: site A (also the endorser) migrates an image to site B by bundle file.
let dir: string;
let a: string;
let b: string;
let pki: string;
let server: Awaited<ReturnType<typeof startVmic>>;
const ENDORSER = 'CN=vmic Demo Endorser,O=vmic demo,C=CH';
const SITE_B = 'CN=Site B,O=vmic test,C=DE';

function ok(args: string[]) {
  const r = vmic(args);
  assert.equal(r.status, 0, `vmic ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r;
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-migrate-cli-'));
  [a, b, pki] = ['a', 'b', 'pki'].map((x) => path.join(dir, x)) as [string, string, string];
  ok(['pki', 'demo', '--out', pki]);
  // Site B's certificate from the demo intermediate, made with stock openssl.
  const siteB = opensslSiteCertificate(pki, 'b', '/C=DE/O=vmic test/CN=Site B');

  const port = await freePort();
  ok([
    'endorser',
    'add',
    'cern',
    '--data',
    a,
    '--public-url',
    `http://127.0.0.1:${port}`,
    '--cert',
    path.join(pki, 'endorser.pem'),
    '--chain',
    path.join(pki, 'endorser-chain.pem'),
    '--key',
    path.join(pki, 'endorser.key'),
  ]);
  fs.writeFileSync(path.join(dir, 'img'), crypto.randomBytes(2 * 1024 * 1024));
  ok([
    'image',
    'add',
    '--data',
    a,
    '--endorser',
    'cern',
    '--file',
    path.join(dir, 'img'),
    '--identifier',
    'alma9',
    '--title',
    'AlmaLinux 9',
  ]);
  ok(['publish', '--data', a, '--endorser', 'cern']);
  server = await startVmic(['serve', '--data', a, '--port', String(port)]);
  const trust = ['anchors.pem', 'intermediate-ca.pem', 'crl.pem', 'root-crl.pem'].map((f) =>
    path.join(pki, f),
  );
  for (const site of [a, b]) ok(['trust', 'add', '--data', site, ...trust]);
  ok([
    'subscribe',
    `http://127.0.0.1:${port}/feeds/cern/`,
    '--data',
    a,
    '--expect-subject',
    ENDORSER,
  ]);
  ok(['import', '--data', a]);
  ok(['fetch', '--data', a]);
  ok([
    'site',
    'identity',
    'set',
    '--data',
    a,
    '--cert',
    path.join(pki, 'site.pem'),
    '--key',
    path.join(pki, 'site.key'),
    '--chain',
    path.join(pki, 'site-chain.pem'),
  ]);
  ok([
    'site',
    'identity',
    'set',
    '--data',
    b,
    '--cert',
    siteB.cert,
    '--key',
    siteB.key,
    '--chain',
    path.join(pki, 'intermediate-ca.pem'),
  ]);
  ok(['peer', 'add', 'site-b', '--data', a, '--cert', siteB.cert, '--expect-subject', SITE_B]);
  const siteA = JSON.parse(ok(['site', 'identity', 'show', '--data', a, '--json']).stdout) as {
    subject: string;
  };
  ok([
    'peer',
    'add',
    'site-a',
    '--data',
    b,
    '--url',
    `http://127.0.0.1:${port}`,
    '--expect-subject',
    siteA.subject,
  ]);
});

after(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an unapproved image is refused before Export with the gate reasons (exit 1)', () => {
  const r = vmic([
    'migrate',
    'alma9',
    '--to',
    'site-b',
    '--dir',
    path.join(dir, 'outbox'),
    '--data',
    a,
    '--json',
  ]);
  assert.equal(r.status, 1);
  const body = JSON.parse(r.stdout) as { refused: boolean; reasons: { code: string }[] };
  assert.deepEqual(
    body.reasons.map((x) => x.code),
    ['NOT_APPROVED'],
  );
  assert.equal(fs.existsSync(path.join(dir, 'outbox')), false);
});

test('migrate --dir writes a bundle that the receiving site imports; both list the stages', () => {
  ok(['approve', 'alma9', '--data', a]);
  const sent = JSON.parse(
    ok([
      'migrate',
      'alma9',
      '--to',
      'site-b',
      '--dir',
      path.join(dir, 'outbox'),
      '--data',
      a,
      '--json',
    ]).stdout,
  ) as { migrationId: string; bundle: string; sha256: string };
  const bundle = fs.readFileSync(sent.bundle);
  assert.equal(
    bundle.includes(fs.readFileSync(path.join(dir, 'img')).subarray(0, 4096)),
    false,
    'plaintext in the bundle',
  );
  const received = JSON.parse(
    ok(['transfer', 'receive', sent.bundle, '--data', b, '--json']).stdout,
  ) as { migrationId: string; sha256: string; peer: string };
  assert.equal(received.migrationId, sent.migrationId);
  assert.equal(received.peer, 'site-a');
  const again = vmic(['transfer', 'receive', sent.bundle, '--data', b]);
  assert.equal(again.status, 1);
  assert.match(again.stderr, /REPLAY/);

  const out = JSON.parse(ok(['migrations', '--data', a, '--json']).stdout) as {
    id: string;
    state: string;
    stages: { stage: string; state: string }[];
  }[];
  const mine = out.find((m) => m.id === sent.migrationId)!;
  assert.equal(mine.state, 'done');
  assert.deepEqual(
    mine.stages.map((s) => `${s.stage}:${s.state}`),
    ['export:done', 'transfer:done'],
  );
  const inB = JSON.parse(ok(['migrations', '--data', b, '--json']).stdout) as {
    id: string;
    stages: { stage: string; state: string }[];
  }[];
  assert.deepEqual(
    inB.find((m) => m.id === sent.migrationId)!.stages.map((s) => `${s.stage}:${s.state}`),
    ['import:done'],
  );
  ok(['audit', 'verify', '--data', a]);
  ok(['audit', 'verify', '--data', b]);
});

test('peer list shows the issuer pinned on first use; --expect-issuer is shown as configured', () => {
  // The bundle received above was B's first verified manifest from site-a.
  assert.match(
    ok(['peer', 'list', '--data', b]).stdout,
    /^site-a\t.*issuer: CN=vmic Demo Intermediate CA[^\n]* key sha256:[0-9a-f]{64} \[first use\]$/m,
  );
  ok([
    'peer',
    'add',
    'site-z',
    '--data',
    b,
    '--url',
    'https://site-z.example',
    '--expect-subject',
    'CN=Site Z,O=vmic test',
    '--expect-issuer',
    'CN=Z CA,O=vmic test',
  ]);
  assert.match(
    ok(['peer', 'list', '--data', b]).stdout,
    /^site-z\t.*issuer: CN=Z CA,O=vmic test \(key pinned on first verified use\) \[configured\]$/m,
  );
});

test('a refused bundle is listed by `vmic migrations` with its code and claimed sender', () => {
  const r = vmic(['migrations', '--data', b]);
  assert.equal(r.status, 0, r.stderr);
  // The replay refused above.
  assert.match(
    r.stdout,
    /^refused-\d+ incoming cern\/alma9 via file .*: REFUSED REPLAY \(nonce\)$/m,
  );
  assert.match(r.stdout, /^ {2}claimed sender: CN=vmic Demo Site[^\n]*$/m);
});

test('transfer receive refuses a bundle of format 1 (exit 1), naming the version and what to do', () => {
  const v1 = path.join(dir, 'old.vmic-transfer');
  fs.writeFileSync(
    v1,
    Buffer.concat([Buffer.from('VMICXFR1'), Buffer.from([0, 0, 0, 1]), Buffer.from('x')]),
  );
  const r = vmic(['transfer', 'receive', v1, '--data', b]);
  assert.equal(r.status, 1, r.stderr + r.stdout);
  assert.match(r.stderr + r.stdout, /MALFORMED/);
  assert.match(r.stderr + r.stdout, /format 1/);
  assert.match(r.stderr + r.stdout, /export it again/);
});
