import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dnEquals, formatDn, parseDn } from '../../pki/index.ts';

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
