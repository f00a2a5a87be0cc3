import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { describeCertificate, dnEquals, formatDn, parseDn, pemToDers } from '../../pki/index.ts';
import { openssl, withTempDir } from '../helpers/openssl/index.ts';

test('RFC 4514 and OpenSSL slash form name the same DN', () => {
  assert.ok(dnEquals('CN=Endorser,O=Example Org,C=CH', '/C=CH/O=Example Org/CN=Endorser'));
});

test('spacing, case of types and values do not matter', () => {
  assert.ok(dnEquals('CN=Endorser,O=Example Org,C=CH', 'cn = endorser ,  o=EXAMPLE   org, c=ch'));
  assert.ok(dnEquals('2.5.4.3=Endorser,O=Example Org,C=CH', 'CN=endorser,O=example org,C=CH'));
});

test('escaped commas and multi-valued RDNs are parsed, not split', () => {
  assert.ok(dnEquals('CN=Doe\\, John+UID=jd,O=X', 'UID=jd+CN=doe\\, john,O=x'));
  assert.equal(parseDn('CN=Doe\\, John,O=X')[1]?.[0]?.value, 'Doe, John');
});

test('different values, order or attribute sets are not equal', () => {
  assert.equal(dnEquals('CN=Endorser,O=Example Org,C=CH', 'CN=Endorser,O=Other Org,C=CH'), false);
  assert.equal(
    dnEquals('CN=Endorser,O=Example Org,C=CH', '/CN=Endorser/O=Example Org/C=CH'),
    false,
  );
  assert.equal(dnEquals('CN=Endorser,O=Example Org', 'CN=Endorser,O=Example Org,C=CH'), false);
  assert.equal(dnEquals('CN=Endorser', 'not a dn'), false);
});

test('parseDn returns ASN.1 order and formatDn restores RFC 4514', () => {
  const dn = parseDn('CN=a,O=b,C=c');
  assert.deepEqual(
    dn.map((rdn) => rdn[0]?.type),
    ['2.5.4.6', '2.5.4.10', '2.5.4.3'],
  );
  assert.equal(formatDn(dn), 'CN=a,O=b,C=c');
});

test('an escaped trailing space and a literal backslash are different values', () => {
  assert.equal(parseDn('CN=foo\\ ')[0]?.[0]?.value, 'foo ');
  assert.equal(parseDn('CN=foo\\\\')[0]?.[0]?.value, 'foo\\');
  assert.equal(dnEquals('CN=foo\\ ,O=x', 'CN=foo\\\\,O=x'), false);
  assert.equal(dnEquals('/O=x/CN=foo\\ ', '/O=x/CN=foo\\\\'), false);
  // Unescaped spaces around a value are not part of it; RFC 4518 makes "foo " match "foo".
  assert.ok(dnEquals('CN=foo  , O=x', 'CN=foo,O=x'));
  assert.ok(dnEquals('CN=foo\\ ,O=x', 'CN=foo,O=x'));
  assert.equal(dnEquals('CN=foo\\,O=x', 'CN=foo,O=x'), false, 'an escaped comma is in the value');
  assert.equal(dnEquals('CN=foo\\', 'CN=foo'), false, 'a lone trailing backslash is malformed');
});

/**
 * Names written by two outside tools: Python `cryptography` makes each certificate and
 * prints `rfc4514_string()`; `openssl x509 -subject -nameopt RFC2253` prints the same
 * certificate's subject. vmic must read both as the certificate's own name, and tell the
 * tricky ones apart.
 */
const PY_NAMES = `
import json, sys, datetime
from cryptography import x509
from cryptography.x509.oid import NameOID as N
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
key = ec.generate_private_key(ec.SECP256R1())
A = x509.NameAttribute
names = {
  'trailing-space': [[A(N.COMMON_NAME, 'foo ')], [A(N.ORGANIZATION_NAME, 'Example')]],
  'backslash': [[A(N.COMMON_NAME, 'foo\\\\')], [A(N.ORGANIZATION_NAME, 'Example')]],
  'plain': [[A(N.COMMON_NAME, 'foo')], [A(N.ORGANIZATION_NAME, 'Example')]],
  'specials': [[A(N.COUNTRY_NAME, 'CH')], [A(N.ORGANIZATION_NAME, 'Doe, Smith + "Partners" <x>; a=b')],
               [A(N.COMMON_NAME, '#1 Endorser')]],
  'leading-space': [[A(N.COMMON_NAME, ' lead')]],
  'multi-valued': [[A(N.ORGANIZATION_NAME, 'Example')], [A(N.COMMON_NAME, 'Ops'), A(N.USER_ID, 'ops1')]],
  'unicode': [[A(N.ORGANIZATION_NAME, 'Zürich Grüezi')], [A(N.COMMON_NAME, 'Éndorser ✓')]],
}
now = datetime.datetime.now(datetime.timezone.utc)
out = {}
for label, rdns in names.items():
  name = x509.Name([x509.RelativeDistinguishedName(r) for r in rdns])
  cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now)
          .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
  pem = cert.public_bytes(serialization.Encoding.PEM).decode()
  open(f'{sys.argv[1]}/{label}.pem', 'w').write(pem)
  out[label] = {'pem': pem, 'rfc4514': name.rfc4514_string()}
print(json.dumps(out))
`;

test('DNs written by OpenSSL (-nameopt RFC2253) and Python cryptography (rfc4514_string)', async () => {
  await withTempDir((dir) => {
    const py = spawnSync('/usr/bin/python3', ['-c', PY_NAMES, dir], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const made = JSON.parse(py.stdout) as Record<string, { pem: string; rfc4514: string }>;
    const read: Record<string, { own: string; openssl: string; python: string }> = {};
    for (const [label, { pem, rfc4514 }] of Object.entries(made)) {
      const r = openssl(
        ['x509', '-in', `${label}.pem`, '-noout', '-subject', '-nameopt', 'RFC2253'],
        { cwd: dir },
      );
      assert.equal(r.status, 0, r.stderr);
      const fromOpenssl = r.stdout
        .toString('utf8')
        .replace(/\n$/, '')
        .replace(/^subject=/, '');
      const own = describeCertificate(pemToDers(pem, 'CERTIFICATE')[0] as Uint8Array).subject;
      read[label] = { own, openssl: fromOpenssl, python: rfc4514 };
      assert.ok(dnEquals(fromOpenssl, own), `${label}: openssl ${fromOpenssl} vs ${own}`);
      assert.ok(dnEquals(rfc4514, own), `${label}: python ${rfc4514} vs ${own}`);
      assert.ok(dnEquals(fromOpenssl, rfc4514), label);
    }
    const names = read as Record<string, { own: string; openssl: string; python: string }>;
    const pick = (label: string): { own: string; openssl: string; python: string } => {
      const v = names[label];
      assert.ok(v, label);
      return v;
    };
    const space = pick('trailing-space');
    const backslash = pick('backslash');
    const plain = pick('plain');
    // Both tools escape them as RFC 4514 says, and vmic keeps them apart.
    assert.match(space.openssl, /CN=foo\\ $/);
    assert.match(backslash.python, /CN=foo\\\\$/);
    for (const a of [space.openssl, space.python]) {
      for (const b of [backslash.openssl, backslash.python]) assert.equal(dnEquals(a, b), false);
    }
    assert.ok(dnEquals(space.openssl, plain.python), 'RFC 4518: a trailing space is insignificant');
    assert.equal(dnEquals(read.specials?.python ?? '', plain.python), false);
    assert.deepEqual(
      parseDn(read.specials?.openssl ?? '').map((rdn) => rdn[0]?.value),
      ['CH', 'Doe, Smith + "Partners" <x>; a=b', '#1 Endorser'],
    );
    assert.deepEqual(
      parseDn(read.unicode?.openssl ?? '').map((rdn) => rdn[0]?.value),
      ['Zürich Grüezi', 'Éndorser ✓'],
    );
    assert.equal(parseDn(read['leading-space']?.python ?? '')[0]?.[0]?.value, ' lead');
  });
});
