import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  POLICY_KEYS,
  parsePolicyValue,
  policyKey,
  policyValueProblem,
} from '../../../catalog/site/policy-schema.ts';

const spec = (key: string) => {
  const s = policyKey(key);
  assert.ok(s, key);
  return s;
};

test('each policy key checks its value with its own schema', () => {
  assert.equal(policyValueProblem(spec('revocation'), 'require'), undefined);
  assert.equal(
    policyValueProblem(spec('revocation'), 'sometimes'),
    'expected one of best-effort, require',
  );
  assert.equal(policyValueProblem(spec('fetch-scope'), 'approved'), undefined);
  assert.equal(policyValueProblem(spec('fetch-concurrency'), '16'), undefined);
  for (const bad of ['0', '17', '-1', '1.5', '0x4', '1e1', ' 4', '', '9'.repeat(400)])
    assert.equal(
      policyValueProblem(spec('fetch-concurrency'), bad),
      'expected an integer between 1 and 16',
      JSON.stringify(bad),
    );
  assert.equal(parsePolicyValue(spec('feed-timeout-ms'), '0600'), 600);
  assert.equal(parsePolicyValue(spec('fetch-scope'), 'endorsed'), 'endorsed');
  assert.throws(() => parsePolicyValue(spec('fetch-scope'), 'all'), { code: 'BAD_REQUEST' });
});

test('only own keys are policy keys', () => {
  for (const key of ['constructor', '__proto__', 'toString'])
    assert.equal(policyKey(key), undefined);
  assert.ok(Object.keys(POLICY_KEYS).includes('transfer-clock-window'));
});
