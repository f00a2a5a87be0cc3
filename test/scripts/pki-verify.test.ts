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
import { pkiVerify } from '../../scripts/cli/commands/pki-verify.ts';
import { ALLOWED } from '../pki/limbo-allow-list.ts';

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
    [...endorserArgs(), '--max-depth', '-1'],
    [...endorserArgs(), '--max-depth', 'two'],
    [...endorserArgs(), '--eku', 'not an oid'],
    [...endorserArgs(), '--eku', 'webServer'],
    [...endorserArgs(), '--bogus'],
    ['pki', 'verify', f('missing.pem'), '--trust', f('anchors.pem')],
  ];
  for (const args of cases) assert.equal(vmic(args).status, 2, args.join(' '));
});

test('--max-depth counts intermediate CAs like openssl verify -verify_depth', () => {
  // The demo endorser has one intermediate between it and the root.
  const one = vmic([...endorserArgs(), '--max-depth', '1', '--json']);
  assert.equal(one.status, 0, one.stdout + one.stderr);
  const zero = vmic([...endorserArgs(), '--max-depth', '0', '--json']);
  assert.equal(zero.status, 1, zero.stdout + zero.stderr);
  const out = JSON.parse(zero.stdout) as { failures: { code: string; rule: string }[] };
  assert.deepEqual(
    out.failures.map((x) => `${x.code}/${x.rule}`),
    ['CHAIN_UNTRUSTED/maxDepth'],
  );
});

test('--eku takes names as well as OIDs', () => {
  // The demo endorser has no extKeyUsage, so every purpose is allowed (RFC 5280 §4.2.1.12).
  for (const eku of ['serverAuth', 'codeSigning', '1.3.6.1.5.5.7.3.4']) {
    const r = vmic([...endorserArgs(), '--eku', eku]);
    assert.equal(r.status, 0, `${eku}: ${r.stdout}${r.stderr}`);
  }
});

/**
 * x509-limbo cases through the real command, with each case's own parameters as an
 * operator would pass them (`--at`, `--eku` by name, `--max-depth` as the corpus counts
 * it, `--crl`), under the default revocation policy: the verdict must be the corpus's.
 */
interface LimboCase {
  id: string;
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  crls?: string[];
  validation_time: string | null;
  key_usage: string[];
  extended_key_usage: string[];
  max_chain_depth: number | null;
  expected_result: 'SUCCESS' | 'FAILURE';
}

const CORPUS_CASES: Record<string, string | undefined> = {
  'crl::revoked-certificate-with-crl': 'CERT_REVOKED',
  'crl::crlnumber-missing': 'CRL_INVALID',
  'crl::issuer-missing-crlsign': 'CRL_INVALID',
  'crl::certificate-not-on-crl': undefined,
  'pathlen::max-chain-depth-1': undefined,
  'pathlen::max-chain-depth-1-exhausted': 'CHAIN_UNTRUSTED',
  'rfc5280::eku::ee-wrong-eku': 'KEY_USAGE',
  'rfc5280::nc::nc-permits-email-exact': undefined,
};

test('vmic pki verify agrees with x509-limbo on cases run with their own parameters', () => {
  const corpus = JSON.parse(
    fs.readFileSync(new URL('../fixtures/corpora/x509-limbo-subset.json', import.meta.url), 'utf8'),
  ) as { testcases: LimboCase[] };
  for (const [id, code] of Object.entries(CORPUS_CASES)) {
    const c = corpus.testcases.find((x) => x.id === id);
    assert.ok(c, id);
    const file = (name: string, pems: string[]) => {
      const p = f(`${id.replace(/\W+/g, '_')}-${name}.pem`);
      fs.writeFileSync(p, pems.join('\n'));
      return p;
    };
    const args = ['pki', 'verify', file('leaf', [c.peer_certificate])];
    args.push('--trust', file('anchors', c.trusted_certs));
    if (c.untrusted_intermediates.length > 0)
      args.push('--chain', file('chain', c.untrusted_intermediates));
    if ((c.crls ?? []).length > 0) args.push('--crl', file('crls', c.crls ?? []));
    if (c.validation_time !== null) args.push('--at', c.validation_time);
    for (const eku of c.extended_key_usage) args.push('--eku', eku);
    if (c.max_chain_depth !== null) args.push('--max-depth', String(c.max_chain_depth));
    if (!c.key_usage.includes('digitalSignature')) args.push('--leaf-key-usage', 'any');
    const r = vmic([...args, '--json']);
    const out = JSON.parse(r.stdout) as { trusted: boolean; failures: { code: string }[] };
    assert.equal(out.trusted ? 'SUCCESS' : 'FAILURE', c.expected_result, `${id}: ${r.stdout}`);
    assert.equal(r.status, out.trusted ? 0 : 1, id);
    assert.equal(out.failures[0]?.code, code, id);
  }
});

/**
 * Every corpus case through the command's own code (argument parsing, files, validation),
 * in process so that 137 cases stay quick; the spawned binary is covered above. With the
 * corpus's parameters the command must disagree exactly where the validation test is
 * allowed to, no more.
 */
test('vmic pki verify with the own parameters of every corpus case agrees as the corpus test does', async () => {
  const corpus = JSON.parse(
    fs.readFileSync(new URL('../fixtures/corpora/x509-limbo-subset.json', import.meta.url), 'utf8'),
  ) as { testcases: LimboCase[] };
  const disagree: string[] = [];
  for (const c of corpus.testcases) {
    const file = (name: string, pems: string[]) => {
      const p = f(`all-${c.id.replace(/\W+/g, '_')}-${name}.pem`);
      fs.writeFileSync(p, pems.join('\n'));
      return p;
    };
    const args = [file('leaf', [c.peer_certificate]), '--trust', file('anchors', c.trusted_certs)];
    if (c.untrusted_intermediates.length > 0)
      args.push('--chain', file('chain', c.untrusted_intermediates));
    if ((c.crls ?? []).length > 0) args.push('--crl', file('crls', c.crls ?? []));
    if (c.validation_time !== null) args.push('--at', c.validation_time);
    for (const eku of c.extended_key_usage) args.push('--eku', eku);
    if (c.max_chain_depth !== null) args.push('--max-depth', String(c.max_chain_depth));
    if (!c.key_usage.includes('digitalSignature')) args.push('--leaf-key-usage', 'any');
    // A certificate that does not decode is refused before any path: exit 1, as the
    // command reports it (MALFORMED).
    const verdict = await pkiVerify(args).then(
      ({ result }) => (result.trusted ? 'SUCCESS' : 'FAILURE'),
      (e: unknown) => {
        assert.equal((e as { code?: string }).code, 'MALFORMED', `${c.id}: ${String(e)}`);
        return 'FAILURE';
      },
    );
    if (verdict !== c.expected_result) disagree.push(c.id);
  }
  assert.deepEqual(disagree.sort(), Object.keys(ALLOWED).sort());
});
