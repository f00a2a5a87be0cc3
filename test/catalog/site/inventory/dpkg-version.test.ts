import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareDebianVersions,
  parseDebianVersion,
} from '../../../../catalog/site/inventory/dpkg-version.ts';

// Orderings from deb-version(7) and Debian Policy §5.6.12, and dpkg's own test suite (t-version).
const less: [string, string][] = [
  ['1.0~rc1', '1.0'], // ~ sorts before the end of the part
  ['~~', '~~a'],
  ['~~a', '~'],
  ['~', ''],
  ['', 'a'],
  ['1.0', '1.0+b1'],
  ['1.0-1', '1.0-2'],
  ['1.2.3', '1.10'],
  ['2.0', '1:1.0'], // the epoch wins
  ['0:1.0', '1:0.1'],
  ['3.0.11-1~deb12u2', '3.0.11-1'],
  ['3.0.11-1~deb12u2', '3.0.13-1~deb12u1'],
  ['1.0a', '1.0b'],
  ['1.0a', '1.0.'], // letters before non-letters
  ['1.0-0', '1.0-1'],
  ['2.30-1', '2.30a-1'],
  ['1.1.1w-0+deb11u1', '3.0.11-1~deb12u2'],
];

test('dpkg ordering: the documented examples', () => {
  for (const [a, b] of less) {
    assert.ok(compareDebianVersions(a, b) < 0, `${a} < ${b}`);
    assert.ok(compareDebianVersions(b, a) > 0, `${b} > ${a}`);
  }
});

test('dpkg ordering: equal versions', () => {
  for (const [a, b] of [
    ['1.0', '1.0'],
    ['0:1.0', '1.0'], // no epoch is epoch 0
    ['1.01', '1.1'], // digits compare as numbers
    ['1.0-0', '1.0'], // no revision compares as 0... and an empty one as nothing
  ])
    assert.equal(compareDebianVersions(a!, b!), 0, `${a} = ${b}`);
});

test('dpkg version parts: epoch, upstream with hyphens, revision', () => {
  assert.deepEqual(parseDebianVersion('1:2.3-4-5'), { epoch: 1, upstream: '2.3-4', revision: '5' });
  assert.deepEqual(parseDebianVersion('3.0.11'), { epoch: 0, upstream: '3.0.11', revision: '' });
});
