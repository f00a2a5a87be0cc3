import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  createCrl,
  derToPem,
  describeCertificate,
  importPrivateKey,
  pemToDers,
} from '../../pki/index.ts';
import { vmic } from '../helpers/cli.ts';

// `vmic pki verify` on a fresh `vmic pki demo` hierarchy, through the real CLI.
let dir: string;
const f = (name: string) => path.join(dir, name);

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-pki-verify-'));
  const demo = vmic(['pki', 'demo', '--out', dir]);
  assert.equal(demo.status, 0, demo.stderr);
  // A CRL from the intermediate that revokes the endorser certificate.
  const endorser = pemToDers(fs.readFileSync(f('endorser.pem'), 'utf8'))[0] as Uint8Array;
  const issuer = {
    certificate: pemToDers(fs.readFileSync(f('intermediate-ca.pem'), 'utf8'))[0] as Uint8Array,
    privateKey: await importPrivateKey(fs.readFileSync(f('intermediate-ca.key'), 'utf8')),
  };
  const now = Date.now();
  const crl = await createCrl({
    issuer,
    thisUpdate: new Date(now - 3600_000),
    nextUpdate: new Date(now + 7 * 86400_000),
    revoked: [
      {
        serialNumber: describeCertificate(endorser).serialNumber,
        revocationDate: new Date(now - 3600_000),
      },
    ],
  });
  fs.writeFileSync(f('revoked-crl.pem'), derToPem(crl, 'X509 CRL'));
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const endorserArgs = () => [
  'pki',
  'verify',
  f('endorser.pem'),
  '--chain',
  f('endorser-chain.pem'),
  '--trust',
  f('anchors.pem'),
];

test('the demo endorser certificate: chain printed, "trusted", exit 0', () => {
  const r = vmic([...endorserArgs(), '--crl', f('crl.pem'), '--crl', f('root-crl.pem')]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /CN=vmic Demo Endorser/);
  assert.match(r.stdout, /CN=vmic Demo Intermediate CA/);
  assert.match(r.stdout, /CN=vmic Demo Root CA/);
  assert.match(r.stdout, /key usage: digitalSignature/);
  assert.match(r.stdout, /^trusted$/m);
});

test('--json gives the chain leaf first and no failures', () => {
  const r = vmic([...endorserArgs(), '--revocation', 'best-effort', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { trusted: boolean; chain: unknown[]; failures: unknown[] };
  assert.equal(out.trusted, true);
  assert.equal(out.chain.length, 3);
  assert.deepEqual(out.failures, []);
});

test('a revoked endorser certificate: CERT_REVOKED, exit 1', () => {
  const r = vmic([...endorserArgs(), '--crl', f('revoked-crl.pem')]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /CERT_REVOKED \[crl\.revoked\]/);
  assert.doesNotMatch(r.stdout, /^trusted$/m);
});

test('every failed rule is listed, not only the first', () => {
  // Long after the demo hierarchy expires: all three certificates, each reported.
  const r = vmic([...endorserArgs(), '--at', '2100-01-01T00:00:00Z', '--json']);
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { trusted: boolean; failures: { code: string }[] };
  assert.equal(out.trusted, false);
  assert.deepEqual(
    out.failures.map((x) => x.code),
    ['CERT_EXPIRED', 'CERT_EXPIRED', 'CERT_EXPIRED'],
  );
});

test('require revocation without CRLs, and a missing intermediate: reason codes, exit 1', () => {
  const noCrl = vmic([...endorserArgs(), '--revocation', 'require']);
  assert.equal(noCrl.status, 1);
  assert.match(noCrl.stdout, /CRL_STALE \[crl\.missing\]/);
  const noChain = vmic(['pki', 'verify', f('endorser.pem'), '--trust', f('anchors.pem')]);
  assert.equal(noChain.status, 1);
  assert.match(noChain.stdout, /CHAIN_UNTRUSTED \[trustAnchor\]/);
});

test('bad usage exits 2', () => {
  const cases = [
    ['pki', 'verify', f('endorser.pem')],
    ['pki', 'verify', '--trust', f('anchors.pem')],
    [...endorserArgs(), '--at', 'yesterday'],
    [...endorserArgs(), '--revocation', 'sometimes'],
    [...endorserArgs(), '--max-depth', '0'],
    [...endorserArgs(), '--eku', 'not an oid'],
    [...endorserArgs(), '--bogus'],
    ['pki', 'verify', f('missing.pem'), '--trust', f('anchors.pem')],
  ];
  for (const args of cases) assert.equal(vmic(args).status, 2, args.join(' '));
});
