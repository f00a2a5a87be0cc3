import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import * as pkijs from 'pkijs';
import {
  buildDemoHierarchy,
  cmsSign,
  cmsVerifySignature,
  derToPem,
  exportPrivateKeyPkcs8,
  writeDemoHierarchy,
} from '../../pki/index.ts';
import type { DemoHierarchy, KeyAlgorithm, RevocationPolicy } from '../../pki/index.ts';
import { trustedSignerChain } from '../../catalog/verify/index.ts';
import { fixtures, FIXTURE_TIME } from '../fixtures/pki-fixtures.ts';
import { rejectsWith } from './assert-code.ts';
import { epochSeconds, openssl, withTempDir } from '../helpers/openssl/index.ts';

const NOW = new Date('2030-03-01T10:00:00Z');
const CONTENT = new TextEncoder().encode('<urn:x> <urn:y> "catalog" .\n');

/** Steps 2–5 as every verifier runs them: the CMS signature, then the signer's path. */
async function verifySigned(opts: {
  cms: Uint8Array;
  detachedContent?: Uint8Array;
  anchors: Uint8Array[];
  crls?: Uint8Array[];
  time: Date;
  revocation?: RevocationPolicy;
}) {
  const signed = await cmsVerifySignature(opts);
  const trust = { anchors: opts.anchors, intermediates: [], crls: opts.crls ?? [] };
  const chain = await trustedSignerChain(
    signed,
    trust,
    opts.time,
    opts.revocation ?? 'best-effort',
  );
  return { ...signed, chain };
}

function flipByteAt(bytes: Uint8Array, index: number): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[index] = (copy[index] as number) ^ 0x01;
  return copy;
}

function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  const i = Buffer.from(haystack).indexOf(Buffer.from(needle));
  assert.ok(i >= 0, 'needle not found');
  return i;
}

function signatureValue(cms: Uint8Array): Uint8Array {
  const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(cms).content });
  return new Uint8Array(sd.signerInfos[0]?.signature.valueBlock.valueHexView ?? []);
}

/** Writes cms + demo files, runs `openssl cms -verify` as docs/design.md §3 documents it. */
async function opensslVerify(dir: string, cms: Uint8Array, detached?: Uint8Array) {
  await writeFile(join(dir, 'msg.p7'), cms);
  const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', 'msg.p7'];
  if (detached) {
    await writeFile(join(dir, 'content.nq'), detached);
    args.push('-content', 'content.nq');
  }
  // -attime: the fixtures live at NOW, not at the wall clock.
  return openssl(
    [...args, '-CAfile', 'anchors.pem', '-purpose', 'any', '-attime', epochSeconds(NOW)],
    { cwd: dir },
  );
}

const hierarchies = new Map<KeyAlgorithm, Promise<DemoHierarchy>>();
function demo(alg: KeyAlgorithm): Promise<DemoHierarchy> {
  if (!hierarchies.has(alg))
    hierarchies.set(alg, buildDemoHierarchy({ keyAlgorithm: alg, now: NOW }));
  return hierarchies.get(alg) as Promise<DemoHierarchy>;
}

for (const alg of ['RSA-2048', 'ECDSA-P256', 'ECDSA-P384'] as KeyAlgorithm[]) {
  describe(`cmsSign with ${alg} interoperates with openssl cms`, () => {
    for (const detached of [false, true]) {
      const form = detached ? 'detached' : 'attached';
      test(`${form}: openssl verifies and prints exactly the content; tampering fails both`, async () => {
        const h = await demo(alg);
        const signer = h.endorser;
        const cms = await cmsSign({
          content: CONTENT,
          detached,
          signer,
          chain: [h.intermediate.certificate],
          signingTime: NOW,
        });
        await withTempDir(async (dir) => {
          await writeDemoHierarchy(h, dir);
          const ok = await opensslVerify(dir, cms, detached ? CONTENT : undefined);
          assert.equal(ok.status, 0, ok.stderr);
          assert.deepEqual(new Uint8Array(ok.stdout), CONTENT);

          const ours = await verifySigned({
            cms,
            ...(detached ? { detachedContent: CONTENT } : {}),
            anchors: [h.root.certificate],
            crls: [h.crl, h.rootCrl],
            time: NOW,
            revocation: 'require',
          });
          assert.deepEqual(ours.content, CONTENT);
          assert.equal(ours.signingTime?.getTime(), NOW.getTime());
          assert.equal(ours.chain.length, 3);

          // One flipped content byte.
          const badContent = flipByteAt(CONTENT, 5);
          const tamperedCms = detached ? cms : flipByteAt(cms, indexOfBytes(cms, CONTENT) + 5);
          const t1 = await opensslVerify(dir, tamperedCms, detached ? badContent : undefined);
          assert.notEqual(t1.status, 0);
          await rejectsWith(
            cmsVerifySignature({
              cms: tamperedCms,
              ...(detached ? { detachedContent: badContent } : {}),
            }),
            'SIGNATURE_INVALID',
            'messageDigest',
          );

          // One flipped byte of the signature value.
          const sig = signatureValue(cms);
          const badSig = flipByteAt(cms, indexOfBytes(cms, sig) + sig.length - 2);
          const t2 = await opensslVerify(dir, badSig, detached ? CONTENT : undefined);
          assert.notEqual(t2.status, 0);
          await rejectsWith(
            cmsVerifySignature({ cms: badSig, ...(detached ? { detachedContent: CONTENT } : {}) }),
            'SIGNATURE_INVALID',
            'signature',
          );
        });
      });
    }

    test('openssl-created CMS verifies with ours', async () => {
      const h = await demo(alg);
      await withTempDir(async (dir) => {
        await writeDemoHierarchy(h, dir);
        await writeFile(join(dir, 'content.nq'), CONTENT);
        const r = openssl(
          [
            'cms',
            '-sign',
            '-binary',
            '-nodetach',
            '-outform',
            'DER',
            '-md',
            'sha256',
            '-in',
            'content.nq',
            '-signer',
            'endorser.pem',
            '-inkey',
            'endorser.key',
            '-certfile',
            'endorser-chain.pem',
            '-out',
            'o.p7m',
          ],
          { cwd: dir },
        );
        assert.equal(r.status, 0, r.stderr);
        const cms = new Uint8Array(await readFile(join(dir, 'o.p7m')));
        const ours = await verifySigned({ cms, anchors: [h.root.certificate], time: NOW });
        assert.deepEqual(ours.content, CONTENT);
        assert.equal(ours.signer.fingerprintSha256, ours.chain[0]?.fingerprintSha256);
      });
    });
  });
}

describe('CMS rejections', () => {
  test('two signers → MALFORMED', async () => {
    const h = await demo('ECDSA-P256');
    await withTempDir(async (dir) => {
      await writeDemoHierarchy(h, dir);
      await writeFile(join(dir, 'content.nq'), CONTENT);
      const r = openssl(
        [
          'cms',
          '-sign',
          '-binary',
          '-nodetach',
          '-outform',
          'DER',
          '-md',
          'sha256',
          '-in',
          'content.nq',
          '-signer',
          'endorser.pem',
          '-inkey',
          'endorser.key',
          '-signer',
          'site.pem',
          '-inkey',
          'site.key',
          '-out',
          'two.p7m',
        ],
        { cwd: dir },
      );
      assert.equal(r.status, 0, r.stderr);
      const cms = new Uint8Array(await readFile(join(dir, 'two.p7m')));
      await rejectsWith(cmsVerifySignature({ cms }), 'MALFORMED', 'signerInfos');
    });
  });

  test('SHA-1 digest → WEAK_ALGORITHM', async () => {
    const h = await demo('RSA-2048');
    await withTempDir(async (dir) => {
      await writeDemoHierarchy(h, dir);
      await writeFile(join(dir, 'content.nq'), CONTENT);
      const r = openssl(
        [
          'cms',
          '-sign',
          '-binary',
          '-nodetach',
          '-outform',
          'DER',
          '-md',
          'sha1',
          '-in',
          'content.nq',
          '-signer',
          'endorser.pem',
          '-inkey',
          'endorser.key',
          '-out',
          'sha1.p7m',
        ],
        { cwd: dir },
      );
      assert.equal(r.status, 0, r.stderr);
      const cms = new Uint8Array(await readFile(join(dir, 'sha1.p7m')));
      await rejectsWith(cmsVerifySignature({ cms }), 'WEAK_ALGORITHM');
    });
  });

  test('garbage bytes → MALFORMED', async () => {
    await rejectsWith(
      cmsVerifySignature({ cms: new Uint8Array([0x30, 0x80, 1, 2, 3]) }),
      'MALFORMED',
    );
    await rejectsWith(
      cmsVerifySignature({ cms: new TextEncoder().encode('not cms') }),
      'MALFORMED',
    );
    await rejectsWith(cmsVerifySignature({ cms: new Uint8Array() }), 'MALFORMED');
  });

  test('detached signature without content → MALFORMED', async () => {
    const h = await demo('ECDSA-P256');
    const cms = await cmsSign({
      content: CONTENT,
      detached: true,
      signer: h.endorser,
      chain: [],
      signingTime: NOW,
    });
    await rejectsWith(cmsVerifySignature({ cms }), 'MALFORMED', 'content');
  });

  test('signer certificate absent from the CMS → MALFORMED', async () => {
    const h = await demo('ECDSA-P256');
    const other = await demo('ECDSA-P384');
    const cms = await cmsSign({
      content: CONTENT,
      detached: false,
      signer: h.endorser,
      chain: [],
      signingTime: NOW,
    });
    const sd = new pkijs.SignedData({ schema: pkijs.ContentInfo.fromBER(cms).content });
    sd.certificates = [pkijs.Certificate.fromBER(other.endorser.certificate)];
    const stripped = new pkijs.ContentInfo({
      contentType: '1.2.840.113549.1.7.2',
      content: sd.toSchema(true),
    });
    await rejectsWith(
      cmsVerifySignature({ cms: new Uint8Array(stripped.toSchema().toBER()) }),
      'MALFORMED',
      'signerCertificate',
    );
  });

  test('the signer path maps chain failures: expired signer → CERT_EXPIRED, unknown root → CHAIN_UNTRUSTED', async () => {
    const expired = await fixtures.expiredLeaf();
    const cms = await cmsSign({
      content: CONTENT,
      detached: false,
      signer: expired.leaf,
      chain: [expired.intermediate.certificate],
      signingTime: FIXTURE_TIME,
    });
    await rejectsWith(
      verifySigned({ cms, anchors: [expired.root.certificate], time: FIXTURE_TIME }),
      'CERT_EXPIRED',
    );
    const valid = await fixtures.valid();
    await rejectsWith(
      verifySigned({ cms, anchors: [valid.root.certificate], time: FIXTURE_TIME }),
      'CHAIN_UNTRUSTED',
    );
  });

  test('RSA-1024 signer → WEAK_ALGORITHM', async () => {
    const s = await fixtures.rsa1024Leaf();
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'leaf.pem'), derToPem(s.leaf.certificate, 'CERTIFICATE'));
      await writeFile(
        join(dir, 'leaf.key'),
        derToPem(await exportPrivateKeyPkcs8(s.leaf.privateKey), 'PRIVATE KEY'),
      );
      await writeFile(join(dir, 'content.nq'), CONTENT);
      const r = openssl(
        [
          'cms',
          '-sign',
          '-binary',
          '-nodetach',
          '-outform',
          'DER',
          '-md',
          'sha256',
          '-in',
          'content.nq',
          '-signer',
          'leaf.pem',
          '-inkey',
          'leaf.key',
          '-out',
          'weak.p7m',
        ],
        { cwd: dir },
      );
      assert.equal(r.status, 0, r.stderr);
      const cms = new Uint8Array(await readFile(join(dir, 'weak.p7m')));
      await rejectsWith(cmsVerifySignature({ cms }), 'WEAK_ALGORITHM', 'rsaKeySize');
    });
  });
});
