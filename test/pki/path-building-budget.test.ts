/**
 * Bounded work before anything is authenticated (docs/design.md §6 step 4): a bundle of many
 * certificates with the intermediate's name and key identifier, made by `openssl req
 * -x509`, cannot make one decision verify more than MAX_SIGNATURE_VERIFICATIONS
 * signatures, and certificates with weak keys are never used to verify anything.
 */
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MAX_SIGNATURE_VERIFICATIONS, explainPath, pemToDers } from '../../pki/index.ts';
import {
  openssl,
  opensslIntermediate,
  opensslLeaf,
  opensslRoot,
  type IssuedCert,
  type OpensslCa,
} from '../helpers/openssl/index.ts';

let dir: string;
let root: OpensslCa;
let inter: OpensslCa;
let leaf: IssuedCert;
let ski: string;

function run(args: string[]): string {
  const r = openssl(args, { cwd: dir });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.toString('utf8');
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vmic-bundle-'));
  root = opensslRoot(dir, 'root', '/CN=Bundle Root');
  inter = opensslIntermediate(root, dir, 'inter', '/CN=Bundle Intermediate');
  leaf = opensslLeaf(inter, 'leaf', '/CN=Bundle Endorser');
  // The decoys carry the real intermediate's key identifier, so the leaf's
  // authorityKeyIdentifier does not rule them out before a signature check.
  const text = run(['x509', '-in', inter.certFile, '-noout', '-ext', 'subjectKeyIdentifier']);
  ski = (/([0-9A-F]{2}(:[0-9A-F]{2})+)/.exec(text)?.[1] ?? '').replace(/:/g, '');
  assert.ok(ski.length >= 40, text);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** `count` self-signed CA certificates named like the intermediate, with its key id. */
function decoys(count: number, keyArgs: string[], name: string): Uint8Array[] {
  const key = join(dir, `${name}.key`);
  run(['genpkey', ...keyArgs, '-out', key]);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const file = join(dir, `${name}-${i}.pem`);
    run(
      ['req', '-x509', '-new', '-key', key, '-subj', '/CN=Bundle Intermediate', '-days', '30']
        .concat(['-set_serial', String(1000 + i), '-out', file])
        .concat(['-addext', 'basicConstraints=critical,CA:TRUE'])
        .concat(['-addext', 'keyUsage=critical,keyCertSign,cRLSign'])
        .concat(['-addext', `subjectKeyIdentifier=${ski}`]),
    );
    out.push(pemToDers(readFileSync(file, 'utf8'), 'CERTIFICATE')[0] as Uint8Array);
  }
  return out;
}

const input = (intermediates: Uint8Array[]) => ({
  leaf: leaf.der,
  intermediates,
  anchors: [root.der],
  time: new Date(),
});

test('the real chain is trusted', async () => {
  const r = await explainPath(input([inter.der]));
  assert.deepEqual(r.failures, []);
});

test('a bundle of same-named issuers: the decision ends at the cap with pathBuilding', async () => {
  const bundle = decoys(
    MAX_SIGNATURE_VERIFICATIONS + 6,
    ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    'ec',
  );
  const r = await explainPath(input([...bundle, inter.der]));
  assert.equal(r.trusted, false);
  assert.deepEqual(
    r.failures.map((f) => `${f.code}/${f.rule}`),
    ['CHAIN_UNTRUSTED/pathBuilding'],
  );
  // Fewer decoys than the cap: the real intermediate is still found behind them.
  const few = await explainPath(input([...bundle.slice(0, 8), inter.der]));
  assert.equal(few.trusted, true, JSON.stringify(few.failures));
});

test('issuers with weak keys are never verified, so they cost nothing', async () => {
  // More RSA-1024 decoys than the cap: if each cost a verification, the decision would
  // end with pathBuilding; skipped unverified, the real intermediate is found.
  const bundle = decoys(
    MAX_SIGNATURE_VERIFICATIONS + 6,
    ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'],
    'rsa1024',
  );
  const r = await explainPath(input([...bundle, inter.der]));
  assert.equal(r.trusted, true, JSON.stringify(r.failures));
  // Alone, they are reported for what they are.
  const only = await explainPath(input(bundle.slice(0, 3)));
  assert.deepEqual(
    only.failures.map((f) => `${f.code}/${f.rule}`),
    ['WEAK_ALGORITHM/rsaKeySize'],
  );
});
