/**
 * `vmic trust add` refuses, with the reason, a CRL it could never use (docs/design.md §6, revocation rules),
 * and keeps a CRL without cRLNumber (its revocations count) with a warning. CRLs are made
 * by stock `openssl ca`.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { vmic } from '../helpers/cli.ts';
import {
  opensslCrl,
  opensslIntermediate,
  opensslRoot,
  type OpensslCa,
} from '../helpers/openssl/index.ts';

let dir: string;
let root: OpensslCa;
let inter: OpensslCa;
let noSign: OpensslCa;
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};
const pem = (ca: OpensslCa) => fs.readFileSync(ca.certFile, 'utf8');

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-trust-crl-'));
  root = opensslRoot(dir, 'root', '/CN=Trust Test Root');
  inter = opensslIntermediate(root, dir, 'inter', '/CN=Trust Test Intermediate');
  noSign = opensslIntermediate(root, dir, 'nosign', '/CN=Trust Test No CRL Sign', {
    crlSign: false,
  });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function freshSite(): string[] {
  const data = path.join(fs.mkdtempSync(path.join(dir, 'site-')), 'data');
  const r = vmic([
    'trust',
    'add',
    '--data',
    data,
    file('cas.pem', pem(root) + pem(inter) + pem(noSign)),
  ]);
  assert.equal(r.status, 0, r.stderr);
  return ['--data', data];
}

test('a CRL signed by a CA without cRLSign is refused: CRL_INVALID [crl.issuerKeyUsage]', () => {
  const data = freshSite();
  const crl = file('nosign-crl.pem', opensslCrl(noSign, { crlNumber: true }));
  const r = vmic(['trust', 'add', ...data, crl]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /CRL_INVALID \[crl\.issuerKeyUsage\]: CRL of CN=Trust Test No CRL Sign refused: .*cRLSign/,
  );
  const list = vmic(['trust', 'list', ...data, '--json']);
  assert.equal((JSON.parse(list.stdout) as { crls: unknown[] }).crls.length, 0);
});

test('a CRL no held certificate verifies is refused: CRL_INVALID [crl.signature]', () => {
  const data = freshSite();
  const impostor = opensslRoot(dir, 'impostor', '/CN=Trust Test Intermediate');
  const crl = file('impostor-crl.pem', opensslCrl(impostor, { crlNumber: true }));
  const r = vmic(['trust', 'add', ...data, crl]);
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /CRL_INVALID \[crl\.signature\]/);
  const stranger = opensslRoot(dir, 'stranger', '/CN=Nobody Held');
  const r2 = vmic(['trust', 'add', ...data, file('s.pem', opensslCrl(stranger))]);
  assert.match(
    r2.stderr,
    /CRL_INVALID \[crl\.signature\].*no CA certificate named CN=Nobody Held is held/,
  );
});

test('a CRL without cRLNumber is kept, with a warning that says what it does', () => {
  const data = freshSite();
  const crl = file('no-number.pem', opensslCrl(inter, { crlNumber: false }));
  const r = vmic(['trust', 'add', ...data, crl]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /CRL added: CN=Trust Test Intermediate/);
  assert.match(
    r.stdout,
    /warning: CRL of CN=Trust Test Intermediate: it has no cRLNumber.*CRL_INVALID/,
  );
  const good = vmic(['trust', 'add', ...data, file('number.pem', opensslCrl(inter))]);
  assert.equal(good.status, 0, good.stderr);
  assert.doesNotMatch(good.stdout, /warning/);
});
