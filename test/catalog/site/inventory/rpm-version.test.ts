import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareRpmVersions, rpmvercmp } from '../../../../catalog/site/inventory/rpm-version.ts';

// From rpm's tests/rpmvercmp.at (RPMVERCMP(a, b, expected)).
const cases: [string, string, number][] = [
  ['1.0', '1.0', 0],
  ['1.0', '2.0', -1],
  ['2.0', '1.0', 1],
  ['2.0.1', '2.0.1', 0],
  ['2.0', '2.0.1', -1],
  ['2.0.1a', '2.0.1a', 0],
  ['2.0.1a', '2.0.1', 1],
  ['5.5p1', '5.5p1', 0],
  ['5.5p1', '5.5p2', -1],
  ['5.5p10', '5.5p1', 1],
  ['10xyz', '10.1xyz', -1],
  ['xyz10', 'xyz10.1', -1],
  ['xyz.4', 'xyz.4', 0],
  ['xyz.4', '8', -1],
  ['8', 'xyz.4', 1],
  ['xyz.4', '2', -1],
  ['5.5p2', '5.6p1', -1],
  ['5.6p1', '6.5p1', -1],
  ['6.0.rc1', '6.0', 1],
  ['10b2', '10a1', 1],
  ['1.0aa', '1.0a', 1],
  ['10.0001', '10.1', 0],
  ['10.0001', '10.0039', -1],
  ['4.999.9', '5.0', -1],
  ['20101121', '20101122', -1],
  ['2_0', '2_0', 0],
  ['2.0', '2_0', 0],
  ['a', 'a', 0],
  ['a+', 'a+', 0],
  ['a+', 'a_', 0],
  ['+a', '+a', 0],
  ['+a', '_a', 0],
  ['+_', '_+', 0],
  ['1.0~rc1', '1.0~rc1', 0],
  ['1.0~rc1', '1.0', -1],
  ['1.0', '1.0~rc1', 1],
  ['1.0~rc1', '1.0~rc2', -1],
  ['1.0~rc1~git123', '1.0~rc1', -1],
  ['1.0^', '1.0', 1],
  ['1.0^git1', '1.0', 1],
  ['1.0^git1', '1.01', -1],
  ['1.0^20160101', '1.0.1', -1],
  ['1.0^20160101^git1', '1.0^20160101', 1],
  ['1.0~rc1^git1', '1.0~rc1', 1],
  ['1.0^git1~pre', '1.0^git1', -1],
];

test('rpmvercmp: rpm test suite cases', () => {
  for (const [a, b, want] of cases) assert.equal(rpmvercmp(a, b), want, `${a} vs ${b}`);
});

test('rpm EVR: epoch first, then version, then release', () => {
  assert.equal(compareRpmVersions('1:1.0-1', '2.0-1'), 1);
  assert.equal(compareRpmVersions('7.76.1-26.el9_3.2', '7.76.1-26.el9_3.3'), -1);
  assert.equal(compareRpmVersions('7.76.1-26.el9', '7.76.1-26.el9'), 0);
  assert.equal(compareRpmVersions('3.0.7-25.el9', '3.0.7-27.el9'), -1);
});
