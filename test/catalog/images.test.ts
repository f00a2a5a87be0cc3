import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import {
  addEndorser,
  addImageFromStream,
  findImage,
  listImages,
  registerImageByUrl,
  updateImageMetadata,
  withdrawImage,
} from '../../catalog/index.ts';
import { opensslIdentity } from '../helpers/openssl/index.ts';
import { tempInstance } from '../helpers/temp-instance.ts';

async function withEndorser(limits = {}) {
  const t = await tempInstance({ limits });
  const id = opensslIdentity(t.dir, { alg: 'ec' });
  await addEndorser(t.inst, {
    name: 'e1',
    certificatePem: id.certificatePem,
    keyPem: id.keyPem,
    actor: 'test',
  });
  return t;
}

test('metadata is validated: title required, control characters and oversize refused', async () => {
  const t = await withEndorser({ metadataChars: 50 });
  try {
    const reg = (metadata: Record<string, unknown>) =>
      registerImageByUrl(t.inst, {
        endorser: 'e1',
        metadata,
        actor: 't',
        url: 'https://x.example/a',
        sha256: 'a'.repeat(64),
        size: 1,
      });
    await assert.rejects(reg({}), { code: 'BAD_REQUEST' });
    await assert.rejects(reg({ title: '  ' }), { code: 'BAD_REQUEST' });
    await assert.rejects(reg({ title: 'a\u0007b' }), { code: 'BAD_REQUEST' });
    await assert.rejects(reg({ title: 'x'.repeat(51) }), { code: 'TOO_LARGE' });
    await assert.rejects(reg({ title: 'ok', arch: 42 }), { code: 'BAD_REQUEST' });
    const ok = await reg({ title: 'ok', description: 'two\nlines' });
    assert.equal(ok.description, 'two\nlines');
  } finally {
    await t.cleanup();
  }
});

test('registration by URL checks URL, hash and size', async () => {
  const t = await withEndorser();
  try {
    const base = { endorser: 'e1', metadata: { title: 't' }, actor: 't' };
    await assert.rejects(
      registerImageByUrl(t.inst, {
        ...base,
        url: 'file:///etc/passwd',
        sha256: 'a'.repeat(64),
        size: 1,
      }),
      { code: 'BAD_REQUEST' },
    );
    await assert.rejects(
      registerImageByUrl(t.inst, {
        ...base,
        url: 'https://x.example/a',
        sha256: 'a'.repeat(63),
        size: 1,
      }),
      { code: 'BAD_REQUEST' },
    );
    await assert.rejects(
      registerImageByUrl(t.inst, {
        ...base,
        url: 'https://x.example/a',
        sha256: 'a'.repeat(64),
        size: -1,
      }),
      { code: 'BAD_REQUEST' },
    );
    await assert.rejects(
      registerImageByUrl(t.inst, {
        ...base,
        url: 'https://x.example/a',
        sha256: 'a'.repeat(64),
        size: 1,
        identifier: '../../x',
      }),
      { code: 'BAD_REQUEST' },
    );
    // Download URLs are held to the bound an importing site applies (2,048 characters).
    const at = (length: number) =>
      `https://x.example/${'a'.repeat(length - 'https://x.example/'.length)}`;
    await assert.rejects(
      registerImageByUrl(t.inst, { ...base, url: at(2049), sha256: 'a'.repeat(64), size: 1 }),
      { code: 'TOO_LARGE' },
    );
    const ok = await registerImageByUrl(t.inst, {
      ...base,
      url: at(2048),
      sha256: 'a'.repeat(64),
      size: 1,
    });
    assert.equal(ok.downloadUrl.length, 2048);
  } finally {
    await t.cleanup();
  }
});

test('an oversize stream registers nothing; a new version keeps the identifier', async () => {
  const t = await withEndorser({ imageBytes: 1000 });
  try {
    await assert.rejects(
      addImageFromStream(t.inst, {
        endorser: 'e1',
        metadata: { title: 'big' },
        actor: 't',
        source: Readable.from([Buffer.alloc(2000)]),
      }),
      { code: 'TOO_LARGE' },
    );
    assert.deepEqual(await listImages(t.inst), []);
    assert.deepEqual(await t.inst.blobs.temporaryFiles(), []);

    const v1 = await addImageFromStream(t.inst, {
      endorser: 'e1',
      identifier: 'img',
      metadata: { title: 'v1' },
      actor: 't',
      source: Readable.from([Buffer.alloc(10, 1)]),
    });
    const v2 = await addImageFromStream(t.inst, {
      endorser: 'e1',
      identifier: 'img',
      metadata: { title: 'v2' },
      actor: 't',
      source: Readable.from([Buffer.alloc(10, 2)]),
    });
    assert.notEqual(v1.sha256, v2.sha256);
    assert.equal((await listImages(t.inst)).length, 1);
    assert.equal((await findImage(t.inst, `sha256:${v2.sha256}`)).identifier, 'img');
    await assert.rejects(findImage(t.inst, `sha256:${v1.sha256}`), { code: 'NOT_FOUND' });

    const edited = await updateImageMetadata(t.inst, {
      endorser: 'e1',
      identifier: 'img',
      metadata: { arch: 'aarch64' },
      actor: 't',
    });
    assert.equal(edited.arch, 'aarch64');
    assert.equal(edited.title, 'v2');
    const w = await withdrawImage(t.inst, { identifier: 'img', actor: 't' });
    assert.equal(w.status, 'withdrawn');
    assert.deepEqual(await listImages(t.inst, { status: 'endorsed' }), []);
  } finally {
    await t.cleanup();
  }
});
