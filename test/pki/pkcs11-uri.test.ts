import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PkiError } from '../../pki/errors.ts';
import {
  formatPkcs11Uri,
  parsePkcs11Uri,
  PKCS11_URI_MAX_LENGTH,
  type Pkcs11Uri,
} from '../../pki/pkcs11-uri.ts';

/** Asserts parsing `text` is refused with BAD_REQUEST and a message matching `why`. */
function refuses(text: string, why: RegExp): void {
  assert.throws(
    () => parsePkcs11Uri(text),
    (e: unknown) => {
      assert.ok(e instanceof PkiError, `expected PkiError, got ${String(e)}`);
      assert.equal(e.code, 'BAD_REQUEST');
      assert.match(e.message, why);
      return true;
    },
  );
}

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

test('RFC 7512 §3: the certificate example with id bytes and an empty serial', () => {
  const u = parsePkcs11Uri(
    'pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;' +
      'model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=',
  );
  assert.deepEqual(u, {
    token: 'The Software PKCS#11 Softtoken',
    manufacturer: 'Snake Oil, Inc.',
    model: '1.0',
    object: 'my-certificate',
    type: 'cert',
    id: bytes(0x69, 0x95, 0x3e, 0x5c, 0xf4, 0xbd, 0xec, 0x91),
    serial: '',
  });
});

test('RFC 7512 §3: the other examples that name objects', () => {
  assert.deepEqual(parsePkcs11Uri('pkcs11:object=my-pubkey;type=public'), {
    object: 'my-pubkey',
    type: 'public',
  });
  assert.deepEqual(parsePkcs11Uri('pkcs11:object=my-sign-key;type=private?module-name=mypkcs11'), {
    object: 'my-sign-key',
    type: 'private',
    moduleName: 'mypkcs11',
  });
  assert.equal(
    parsePkcs11Uri('pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1')
      .modulePath,
    '/mnt/libmypkcs11.so.1',
  );
  assert.equal(
    parsePkcs11Uri(
      'pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert',
    ).token,
    'A name with a substring %;',
  );
  assert.equal(
    parsePkcs11Uri(
      'pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=my-certificate;type=cert',
    ).token,
    'Name with a small A with acute: \u00e1',
  );
  // Adapted: these name a slot or library only, so an object is added.
  assert.deepEqual(
    parsePkcs11Uri(
      'pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token%20Library;' +
        'library-version=1.23;object=k',
    ),
    {
      libraryManufacturer: 'Snake Oil, Inc.',
      libraryDescription: 'Soft Token Library',
      libraryVersion: '1.23',
      object: 'k',
    },
  );
  assert.deepEqual(parsePkcs11Uri('pkcs11:slot-description=Sun%20Metaslot;object=k;slot-id=0'), {
    slotDescription: 'Sun Metaslot',
    object: 'k',
    slotId: 0,
  });
});

test("vmic's endorser key URI, a case-insensitive scheme and an id-only key", () => {
  assert.deepEqual(
    parsePkcs11Uri(
      'pkcs11:token=vmic;object=endorser-key;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so',
    ),
    {
      token: 'vmic',
      object: 'endorser-key',
      type: 'private',
      modulePath: '/usr/lib/softhsm/libsofthsm2.so',
    },
  );
  assert.deepEqual(parsePkcs11Uri('PKCS11:object=k'), { object: 'k' });
  assert.deepEqual(parsePkcs11Uri('pkcs11:id=%01%ab'), { id: bytes(0x01, 0xab) });
});

test('values are pct-decoded: %2F is part of the label; a raw "/" in the path is refused', () => {
  assert.equal(parsePkcs11Uri('pkcs11:object=a%2Fb').object, 'a/b');
  assert.equal(parsePkcs11Uri('pkcs11:object=%EF%BB%BFk').object, '\ufeffk');
  refuses('pkcs11:object=a/b', /object.*percent-encoded/);
  refuses('pkcs11:object=a b', /object.*percent-encoded/);
});

test('format writes the canonical form, encoding only what RFC 7512 requires', () => {
  const u: Pkcs11Uri = {
    moduleName: 'a&b',
    modulePath: '/usr/lib/x.so',
    slotId: 3,
    type: 'private',
    id: bytes(0x41, 0xab),
    object: 'a;b/c d',
    token: 't&u',
  };
  assert.equal(
    formatPkcs11Uri(u),
    'pkcs11:token=t&u;object=a%3Bb%2Fc%20d;id=%41%AB;type=private;slot-id=3' +
      '?module-path=/usr/lib/x.so&module-name=a%26b',
  );
  assert.equal(formatPkcs11Uri({ object: '\u00e1%' }), 'pkcs11:object=%C3%A1%25');
});

test('every field is written and read back', () => {
  const u: Required<Pkcs11Uri> = {
    token: 'vmic',
    object: 'endorser-key',
    id: bytes(0, 255),
    type: 'secret-key',
    manufacturer: 'SoftHSM project',
    model: 'SoftHSM v2',
    serial: '2ab4c9d1',
    slotId: 1234567,
    slotDescription: 'slot?1',
    slotManufacturer: 'a&b',
    libraryManufacturer: 'lib;m',
    libraryDescription: 'd',
    libraryVersion: '2.6',
    modulePath: '/usr/lib/softhsm/libsofthsm2.so',
    moduleName: 'softhsm2',
  };
  const text = formatPkcs11Uri(u);
  assert.equal(
    text,
    'pkcs11:token=vmic;object=endorser-key;id=%00%FF;type=secret-key;' +
      'manufacturer=SoftHSM%20project;model=SoftHSM%20v2;serial=2ab4c9d1;slot-id=1234567;' +
      'slot-description=slot%3F1;slot-manufacturer=a&b;library-manufacturer=lib%3Bm;' +
      'library-description=d;library-version=2.6' +
      '?module-path=/usr/lib/softhsm/libsofthsm2.so&module-name=softhsm2',
  );
  assert.deepEqual(parsePkcs11Uri(text), u);
});

test('parse → format → parse round-trips', () => {
  for (const text of [
    'pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;' +
      'model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=',
    'pkcs11:object=endorser-key;token=vmic;type=private;slot-id=42;library-version=2' +
      '?module-name=softhsm2&module-path=/usr/lib/softhsm/libsofthsm2.so',
    'pkcs11:object=a%2Fb%3Bc%3Fd;slot-manufacturer=x&y;library-version=1.23;id=',
  ]) {
    const u = parsePkcs11Uri(text);
    const again = parsePkcs11Uri(formatPkcs11Uri(u));
    assert.deepEqual(again, u);
    assert.equal(formatPkcs11Uri(again), formatPkcs11Uri(u));
  }
});

test('pin-value and pin-source are refused, pointing at the configuration', () => {
  refuses('pkcs11:object=k?pin-value=1234', /pin-value.*\$VMIC_PKCS11_PIN\b/);
  refuses('pkcs11:object=k?pin-source=file:/etc/pin', /pin-source.*\$VMIC_PKCS11_PIN_FILE/);
  refuses('pkcs11:object=k;pin-value=1234', /pin-value.*VMIC_PKCS11_PIN/);
  refuses('pkcs11:object=k?PIN-VALUE=1234', /PIN-VALUE.*VMIC_PKCS11_PIN/);
});

test('repeated, unknown and malformed attributes are refused; x- ones are ignored', () => {
  refuses('pkcs11:object=a;object=b', /object.*twice/);
  refuses('pkcs11:object=k?module-path=/a&module-path=/b', /module-path.*twice/);
  refuses('pkcs11:object=k;vendor-aaa=value-a', /vendor-aaa.*unknown/);
  refuses('pkcs11:object=k?module_path=/lib/x.so', /module_path.*unknown/);
  refuses('pkcs11:object=k;module-path=/lib/x.so', /module-path.*unknown in the path/);
  refuses('pkcs11:object=k;;type=private', /expected name=value/);
  refuses('pkcs11:object=k;type', /"type".*expected name=value/);
  refuses('pkcs11:object=k;o%62ject=x', /not an attribute name/);
  assert.deepEqual(parsePkcs11Uri('pkcs11:object=k;x-aaa=1?x-bbb=2'), { object: 'k' });
  refuses('pkcs11:object=k;x-aaa=1;x-aaa=2', /x-aaa.*twice/);
});

test('slot-id, type and library-version values are checked', () => {
  for (const v of ['1a', '-1', '', '1.0', '99999999999999999999']) {
    refuses(`pkcs11:object=k;slot-id=${v}`, /slot-id.*decimal integer/);
  }
  refuses('pkcs11:object=k;type=key', /type.*expected one of/);
  refuses('pkcs11:object=k;type=Private', /type.*expected one of/);
  refuses('pkcs11:object=k;library-version=1.2.3', /library-version.*M\.N/);
  refuses('pkcs11:object=k;library-version=v1', /library-version/);
});

test('bad percent-encoding, invalid UTF-8 and control characters are refused', () => {
  refuses('pkcs11:object=%G1', /object.*%G1/);
  refuses('pkcs11:object=ab%F', /object.*%XX/);
  refuses('pkcs11:object=%FF', /object.*UTF-8/);
  refuses('pkcs11:object=%C3', /object.*UTF-8/);
  refuses('pkcs11:object=k?module-path=/lib/x.so%00/evil', /module-path.*control character/);
  refuses('pkcs11:object=k?module-path=', /module-path.*empty/);
});

test('input longer than the bound is refused before parsing', () => {
  const pad = (n: number) => `pkcs11:object=${'a'.repeat(n - 'pkcs11:object='.length)}`;
  assert.equal(parsePkcs11Uri(pad(PKCS11_URI_MAX_LENGTH)).object?.length, 2048 - 14);
  refuses(pad(PKCS11_URI_MAX_LENGTH + 1), /over 2048 characters/);
});

test('a URI naming no key or of another scheme is refused', () => {
  refuses('pkcs11:', /names no key/);
  refuses('pkcs11:token=vmic;type=private', /names no key/);
  refuses('pkcs11:object=;id=', /names no key/);
  refuses('pkcs11:?module-name=softhsm2', /names no key/);
  refuses('pkcs12:object=k', /scheme pkcs11:/);
  refuses('object=k', /scheme pkcs11:/);
});

test('format refuses what parse would refuse', () => {
  assert.throws(() => formatPkcs11Uri({ object: 'k', slotId: 1.5 }), /slot-id/);
  assert.throws(() => formatPkcs11Uri({ token: 'vmic' }), /names no key/);
  assert.throws(() => formatPkcs11Uri({ object: 'a'.repeat(3000) }), /characters/);
});
