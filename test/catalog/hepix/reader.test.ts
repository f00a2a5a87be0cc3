import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  buildSignedMime,
  canonicalText,
  compareListVersions,
  parseSignedMime,
  readImageList,
  toSlashDn,
  writeImageList,
  type ImageList,
} from '../../../catalog/hepix/index.ts';
import { dnEquals } from '../../../pki/index.ts';

const LIST: ImageList = {
  identifier: '0c4f1ed2-7d2b-4a59-9c86-7b0e0e8d2a11',
  title: 't',
  description: 'd',
  source: 's',
  version: '2',
  uri: 'https://example.org/image.list',
  created: new Date('2030-01-01T00:00:00Z'),
  expires: new Date('2030-02-01T00:00:00Z'),
  endorser: { dn: '/C=CH/O=x/CN=e', ca: '/C=CH/O=x/CN=ca', email: '', creator: 'c' },
  images: [
    {
      identifier: 'i1',
      title: 'T',
      description: '',
      size: 5,
      sha512: 'a'.repeat(128),
      sha256: undefined,
      arch: 'x86_64',
      uri: 'https://example.org/i1',
      osName: 'Linux',
      osVersion: '9',
      comments: '',
      hypervisor: 'KVM',
      version: '1',
      format: 'qcow2',
      expires: undefined,
      extra: { 'ad:mpuri': 'https://appdb.example/1' },
    },
  ],
  extra: { 'ad:vo': 'fixture' },
};

test('writer and strict reader round-trip, keeping unknown ad:* keys', () => {
  assert.deepEqual(readImageList(writeImageList(LIST)), LIST);
});

test('every missing required key is named in the MALFORMED refusal', () => {
  const doc = JSON.parse(writeImageList(LIST)) as { 'hv:imagelist': Record<string, unknown> };
  const img = (doc['hv:imagelist']['hv:images'] as { 'hv:image': Record<string, unknown> }[])[0]!;
  for (const key of Object.keys(img['hv:image'])) {
    if (key.startsWith('ad:') || key === 'hv:format') continue;
    const copy = structuredClone(doc);
    const i = (copy['hv:imagelist']['hv:images'] as { 'hv:image': Record<string, unknown> }[])[0]!;
    delete i['hv:image'][key];
    assert.throws(() => readImageList(JSON.stringify(copy)), { code: 'MALFORMED', rule: key });
  }
  const x509 = structuredClone(doc);
  delete (x509['hv:imagelist']['hv:endorser'] as { 'hv:x509': Record<string, unknown> })['hv:x509'][
    'hv:dn'
  ];
  assert.throws(() => readImageList(JSON.stringify(x509)), { code: 'MALFORMED', rule: 'hv:dn' });
});

test('dates must be YYYY-MM-DDTHH:MM:SSZ exactly', () => {
  for (const bad of [
    '2030-01-01',
    '2030-01-01T00:00:00.000Z',
    '2030-02-30T00:00:00Z',
    '2030-01-01T00:00:00+01:00',
  ]) {
    const text = writeImageList(LIST).replace('2030-02-01T00:00:00Z', bad);
    assert.throws(() => readImageList(text), { code: 'MALFORMED', rule: 'dc:date:expires' });
  }
});

test('hv:version is compared as dotted decimals; non-numeric versions are refused', () => {
  assert.ok(compareListVersions('1.10', '1.9') > 0);
  assert.equal(compareListVersions('2.0', '2'), 0);
  assert.ok(compareListVersions('9', '10') < 0);
  const text = writeImageList({ ...LIST, version: 'v2-beta' });
  assert.throws(() => readImageList(text), { code: 'MALFORMED', rule: 'hv:version' });
});

test('RFC 4514 names become OpenSSL slash form and compare equal', () => {
  const dn = 'CN=vmic Demo Endorser,O=vmic demo,C=CH';
  assert.equal(toSlashDn(dn), '/C=CH/O=vmic demo/CN=vmic Demo Endorser');
  assert.ok(dnEquals(toSlashDn(dn), dn));
  assert.throws(() => toSlashDn('CN=a/b,C=CH'), { code: 'BAD_REQUEST' });
});

test('S/MIME: the signed part comes back byte for byte in canonical form', () => {
  const content = canonicalText('{\n  "a": 1\n}\n');
  const sig = crypto.randomBytes(300);
  const parsed = parseSignedMime(buildSignedMime(content, sig));
  assert.deepEqual(parsed.signedContent, content);
  assert.deepEqual(parsed.signature, sig);
  // A message whose close delimiter is missing, or that is not multipart/signed, is MALFORMED.
  const cut = buildSignedMime(content, sig);
  assert.throws(() => parseSignedMime(cut.subarray(0, cut.length - 20)), { code: 'MALFORMED' });
  assert.throws(() => parseSignedMime(Buffer.from('Content-Type: text/plain\n\n{}')), {
    code: 'MALFORMED',
  });
});
