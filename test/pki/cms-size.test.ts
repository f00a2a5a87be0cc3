import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDemoHierarchy, cmsSign, cmsVerifySignature } from '../../pki/index.ts';
import { FIXTURE_TIME } from '../fixtures/pki-fixtures.ts';

test('a catalog larger than 16 MiB (10,000 images is about 26 MB) verifies', async () => {
  const h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: FIXTURE_TIME });
  const content = Buffer.alloc(20 * 1024 * 1024, 0x41);
  const cms = await cmsSign({
    content,
    detached: false,
    signer: h.endorser,
    chain: [h.intermediate.certificate],
    signingTime: FIXTURE_TIME,
  });
  const verified = await cmsVerifySignature({ cms });
  assert.equal(verified.content.length, content.length);
  // Bytes appended after the DER structure are covered by nothing: MALFORMED.
  await assert.rejects(cmsVerifySignature({ cms: Buffer.concat([cms, Buffer.from([0x00])]) }), {
    code: 'MALFORMED',
  });
});
