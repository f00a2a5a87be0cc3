import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import * as asn1js from 'asn1js';
import { buildDemoHierarchy, cmsSign, cmsVerifySignature } from '../../pki/index.ts';
import { combineSignedData, countSignerInfos, signedDataParts } from '../../pki/cms-cosign.ts';
import { attachedAround } from '../../pki/cms-attached.ts';
import { pkijs } from '../../pki/crypto-provider.ts';

const now = new Date();

async function twoSigners() {
  const a = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now, endorserSubject: 'CN=a' });
  const b = await buildDemoHierarchy({ keyAlgorithm: 'RSA-2048', now, endorserSubject: 'CN=b' });
  const content = crypto.randomBytes(300);
  const sign = (h: typeof a, detached: boolean) =>
    cmsSign({
      content,
      detached,
      signer: { certificate: h.endorser.certificate, privateKey: h.endorser.privateKey },
      chain: [h.intermediate.certificate],
      signingTime: now,
    });
  return {
    a,
    b,
    content,
    sa: await sign(a, true),
    sb: await sign(b, true),
    attached: await sign(a, false),
  };
}

/** Each SignerInfo of the combined SignedData, verified alone by the one-signer verifier. */
function eachAlone(cms: Uint8Array): Uint8Array[] {
  const parts = signedDataParts(cms);
  return parts.signerInfos.map((si) => {
    const info = asn1js.fromBER(cms).result as asn1js.Sequence;
    const sd = new pkijs.SignedData({
      schema: (info.valueBlock.value[1] as asn1js.Constructed).valueBlock.value[0],
    });
    sd.signerInfos = [new pkijs.SignerInfo({ schema: asn1js.fromBER(si).result })];
    return new Uint8Array(
      new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: sd.toSchema(true) })
        .toSchema()
        .toBER(),
    );
  });
}

test('two detached signatures become one SignedData whose every SignerInfo verifies', async () => {
  const { a, b, content, sa, sb } = await twoSigners();
  const combined = combineSignedData([sa, sb]);
  assert.equal(countSignerInfos(combined), 2);
  // The same result whatever the order: DER SET OF sorts members by their encodings.
  assert.deepEqual(Buffer.from(combineSignedData([sb, sa])), Buffer.from(combined));
  const parts = signedDataParts(combined);
  assert.equal(parts.certificates.length, 4); // two leaves and two intermediates
  const sorted = [...parts.signerInfos].sort((x, y) => Buffer.compare(x, y));
  assert.deepEqual(parts.signerInfos, sorted);
  const subjects = [];
  for (const one of eachAlone(combined)) {
    const v = await cmsVerifySignature({ cms: one, detachedContent: content });
    subjects.push(v.signer.subject);
  }
  assert.deepEqual(subjects.sort(), ['CN=a', 'CN=b']);
  assert.ok(a && b);
  // The attached form around the content is the same SignedData with the content inside.
  const { attachedHeader, attachedTrailer } = attachedAround(combined, content.length);
  const attached = Buffer.concat([attachedHeader, content, attachedTrailer]);
  assert.equal(countSignerInfos(attached), 2);
  assert.equal(asn1js.fromBER(attached).offset, attached.length);
});

test('refused: attached input, no input, the same SignerInfo twice', async () => {
  const { sa, attached } = await twoSigners();
  assert.throws(() => combineSignedData([sa, attached]), /detached/);
  assert.throws(() => combineSignedData([]), /no signatures/);
  assert.throws(() => combineSignedData([sa, sa]), /same SignerInfo twice/);
  assert.throws(
    () => signedDataParts(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])),
    /SignedData/,
  );
});
