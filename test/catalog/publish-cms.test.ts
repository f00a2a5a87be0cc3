import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { buildDemoHierarchy, cmsSign, cmsVerifySignature } from '../../pki/index.ts';
import { cmsSignStreamable } from '../../pki/cms-attached.ts';

// Lengths around every change in the size of a DER length: short form, then 1, 2, 3 octets.
const SIZES = [1, 5, 127, 128, 255, 256, 65_535, 65_536, 70_000, 16_777_216];

test('the attached CMS written around streamed content is the DER pkijs writes in memory', async () => {
  // RSA PKCS#1 v1.5 signatures are deterministic, so the whole encodings can be compared.
  const h = await buildDemoHierarchy({ keyAlgorithm: 'RSA-2048', now: new Date() });
  const signing = {
    signer: { certificate: h.endorser.certificate, privateKey: h.endorser.privateKey },
    chain: [h.intermediate.certificate],
    signingTime: new Date('2026-11-28T10:00:00Z'),
  };
  for (const size of SIZES) {
    const content = crypto.randomBytes(size);
    const streamed = await cmsSignStreamable({
      ...signing,
      sha256: crypto.createHash('sha256').update(content).digest(),
      contentLength: size,
    });
    const attached = Buffer.concat([streamed.attachedHeader, content, streamed.attachedTrailer]);
    const inMemory = await cmsSign({ ...signing, content, detached: false });
    assert.ok(attached.equals(Buffer.from(inMemory)), `attached, ${size} bytes`);
    const detached = await cmsSign({ ...signing, content, detached: true });
    assert.ok(Buffer.from(streamed.detached).equals(Buffer.from(detached)), `detached, ${size}`);
  }
});

test('with ECDSA both forms carry one signature that verifies over the content', async () => {
  const h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  const content = crypto.randomBytes(70_000);
  const streamed = await cmsSignStreamable({
    signer: { certificate: h.endorser.certificate, privateKey: h.endorser.privateKey },
    chain: [h.intermediate.certificate],
    signingTime: new Date(),
    sha256: crypto.createHash('sha256').update(content).digest(),
    contentLength: content.length,
  });
  const attached = await cmsVerifySignature({
    cms: Buffer.concat([streamed.attachedHeader, content, streamed.attachedTrailer]),
  });
  assert.ok(Buffer.from(attached.content).equals(content));
  const detached = await cmsVerifySignature({ cms: streamed.detached, detachedContent: content });
  assert.equal(detached.signer.subject, attached.signer.subject);
});
