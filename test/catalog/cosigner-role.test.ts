import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createToken, parseRole } from '../../catalog/index.ts';
import { tempInstance } from '../helpers/temp-instance.ts';

test('cosigner:ENDORSER/SIGNER is parsed strictly and is never a token role', async () => {
  assert.equal(parseRole('cosigner:cern/security'), 'cosigner:cern/security');
  for (const bad of [
    'cosigner:cern',
    'cosigner:cern/',
    'cosigner:/x',
    'cosigner:cern/a/b',
    'cosigner:Cern/x',
    'cosigner:cern/../x',
  ])
    assert.throws(() => parseRole(bad), { code: 'BAD_REQUEST' });
  const t = await tempInstance();
  try {
    await assert.rejects(
      createToken(t.inst, { role: 'cosigner:cern/security', ttlSeconds: 60, actor: 'test' }),
      { code: 'BAD_REQUEST' },
    );
  } finally {
    await t.cleanup();
  }
});
