import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  getCatalogVersion,
  listCatalogVersions,
  publishCatalog,
  withdrawImage,
} from '../../../catalog/index.ts';
import { diffPending } from '../../../catalog/cosign/pending-diff.ts';
import { setThreshold } from '../../../catalog/cosign/threshold.ts';
import { signPending } from '../../../catalog/cosign/sign.ts';
import {
  discardPending,
  listPending,
  pendingRow,
  readPendingNQuads,
} from '../../../catalog/cosign/pending.ts';
import { countSignerInfos } from '../../../pki/cms-cosign.ts';
import { openssl, opensslCmsVerify, opensslOk } from '../../helpers/openssl/index.ts';
import { cosignFixture, opensslDetached } from './cosign-fixture.ts';

type Fixture = Awaited<ReturnType<typeof cosignFixture>>;

async function pendingNQuadsFile(f: Fixture): Promise<string> {
  const file = path.join(f.dir, 'pending.nq');
  const row = await pendingRow(f.inst.store.db, 'cern');
  fs.writeFileSync(file, await readPendingNQuads(f.inst, row));
  return file;
}

/** The served catalog: SignerInfo count by openssl's own print, and openssl's verification. */
async function checkServed(f: Fixture, signers: number): Promise<void> {
  const files = await getCatalogVersion(f.inst, 'cern');
  const p7m = path.join(f.dir, 'served.p7m');
  fs.writeFileSync(p7m, files.p7m);
  assert.equal(countSignerInfos(files.p7m), signers);
  assert.equal(countSignerInfos(files.p7s), signers);
  const printed = opensslOk(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', p7m]);
  assert.equal(printed.toString().match(/^\s+signatureAlgorithm:/gm)?.length, signers);
  const verified = opensslCmsVerify(p7m, f.anchors);
  assert.ok(verified.ok, verified.stderr.toString());
  assert.equal(verified.stdout.toString(), files.nquads);
  const p7s = path.join(f.dir, 'served.p7s');
  const nq = path.join(f.dir, 'served.nq');
  fs.writeFileSync(p7s, files.p7s);
  fs.writeFileSync(nq, files.nquads);
  const detached = opensslCmsVerify(p7s, f.anchors, nq);
  assert.ok(detached.ok, detached.stderr.toString());
  // Every signer is checked: without one signer's certificate among the anchors, it fails.
  const two = path.join(f.dir, 'only-cern.pem');
  fs.writeFileSync(two, f.ids.cern.certificatePem);
  assert.equal(opensslCmsVerify(p7m, two).ok, false);
}

async function refused(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: { code?: string }) => {
    assert.equal(e.code, code);
    return true;
  });
}

test('2-of-3 with the server-held co-signer: pending, then published with 2 SignerInfos', async () => {
  const f = await cosignFixture(2);
  try {
    const v = await publishCatalog(f.inst, { endorser: 'cern', actor: 'alice' });
    assert.deepEqual(v.pending, { threshold: 2, signers: ['cern'], needed: 1 });
    assert.equal(v.sequence, 1);
    assert.deepEqual(await listCatalogVersions(f.inst, 'cern'), []);
    await refused(getCatalogVersion(f.inst, 'cern'), 'NOT_FOUND');
    const [p] = await listPending(f.inst, 'cern');
    assert.deepEqual(
      p?.signed.map((s) => s.signer),
      ['cern'],
    );
    assert.deepEqual(p?.notYet, ['dept', 'partner']);
    assert.equal(p?.needed, 1);
    // The sequence is held: a second publish is refused while the catalog is pending.
    await refused(publishCatalog(f.inst, { endorser: 'cern', actor: 'alice' }), 'CONFLICT');

    const done = await signPending(f.inst, { endorser: 'cern', as: 'dept', actor: 'bob' });
    assert.deepEqual(done.signers, ['cern', 'dept']);
    assert.equal(done.published?.sequence, 1);
    assert.deepEqual(await listPending(f.inst), []);
    await checkServed(f, 2);
    // Once published, nothing takes another signature.
    const nq = path.join(f.dir, 'served.nq');
    const late = opensslDetached(f, nq, 'partner');
    await refused(
      signPending(f.inst, { endorser: 'cern', as: 'partner', signature: late, actor: 'carol' }),
      'CONFLICT',
    );
    // The next publish takes the next sequence.
    f.advance(2000);
    const next = await publishCatalog(f.inst, { endorser: 'cern', actor: 'alice' });
    assert.equal(next.sequence, 2);
    assert.ok(next.pending);
  } finally {
    await f.cleanup();
  }
});

test('2-of-3 with an external co-signer: stock openssl signature completes it; impostors refused', async () => {
  const f = await cosignFixture(2);
  try {
    await publishCatalog(f.inst, { endorser: 'cern', actor: 'alice' });
    const nq = await pendingNQuadsFile(f);
    // A signature over other bytes.
    const other = path.join(f.dir, 'other.nq');
    fs.writeFileSync(other, fs.readFileSync(nq, 'utf8').replace('AlmaLinux', 'AlmaLinuX'));
    const overOther = opensslDetached(f, other, 'partner');
    await refused(
      signPending(f.inst, { endorser: 'cern', as: 'partner', signature: overOther, actor: 'c' }),
      'SIGNATURE_INVALID',
    );
    // The right bytes, signed by a certificate that is not the co-signer's.
    const byStranger = opensslDetached(f, nq, 'stranger');
    await refused(
      signPending(f.inst, { endorser: 'cern', as: 'partner', signature: byStranger, actor: 'c' }),
      'SUBJECT_MISMATCH',
    );
    // Someone who is no co-signer at all.
    await refused(
      signPending(f.inst, { endorser: 'cern', as: 'stranger', signature: byStranger, actor: 'c' }),
      'FORBIDDEN',
    );
    // An external signer has no key here.
    await refused(
      signPending(f.inst, { endorser: 'cern', as: 'partner', actor: 'c' }),
      'BAD_REQUEST',
    );
    assert.deepEqual(await listCatalogVersions(f.inst, 'cern'), []);
    assert.equal((await listPending(f.inst, 'cern'))[0]?.signed.length, 1);

    const good = opensslDetached(f, nq, 'partner');
    const done = await signPending(f.inst, {
      endorser: 'cern',
      as: 'partner',
      signature: good,
      actor: 'carol',
    });
    assert.deepEqual(done.signers, ['cern', 'partner']);
    await checkServed(f, 2);
  } finally {
    await f.cleanup();
  }
});

test('3-of-3: one signer signing twice is refused; the third signature publishes 3 SignerInfos', async () => {
  const f = await cosignFixture(3);
  try {
    await publishCatalog(f.inst, { endorser: 'cern', actor: 'alice' });
    const once = await signPending(f.inst, { endorser: 'cern', as: 'dept', actor: 'bob' });
    assert.equal(once.published, undefined);
    assert.deepEqual(await listCatalogVersions(f.inst, 'cern'), []);
    await refused(signPending(f.inst, { endorser: 'cern', as: 'dept', actor: 'bob' }), 'CONFLICT');
    const nq = await pendingNQuadsFile(f);
    const done = await signPending(f.inst, {
      endorser: 'cern',
      as: 'partner',
      signature: opensslDetached(f, nq, 'partner'),
      actor: 'carol',
    });
    assert.equal(done.published?.sequence, 1);
    await checkServed(f, 3);
  } finally {
    await f.cleanup();
  }
});

test('threshold 1 keeps the plain publish: one SignerInfo, no pending catalog', async () => {
  const f = await cosignFixture(1);
  try {
    const v = await publishCatalog(f.inst, { endorser: 'cern', actor: 'alice' });
    assert.equal(v.pending, undefined);
    assert.deepEqual(await listPending(f.inst), []);
    const files = await getCatalogVersion(f.inst, 'cern');
    assert.equal(countSignerInfos(files.p7m), 1);
    const p7m = path.join(f.dir, 'one.p7m');
    fs.writeFileSync(p7m, files.p7m);
    assert.ok(opensslCmsVerify(p7m, f.anchors).ok);
    assert.ok(openssl(['version']).ok);
  } finally {
    await f.cleanup();
  }
});

test('catalog diff shows the pending catalog against the last published version', async () => {
  const f = await cosignFixture(2);
  try {
    await publishCatalog(f.inst, { endorser: 'cern', actor: 'alice' });
    const first = await diffPending(f.inst, 'cern');
    assert.equal(first.last, undefined);
    assert.deepEqual(
      first.added.map((i) => i.identifier),
      ['alma'],
    );
    await signPending(f.inst, { endorser: 'cern', as: 'dept', actor: 'bob' });
    await refused(diffPending(f.inst, 'cern'), 'CONFLICT');
    await withdrawImage(f.inst, { endorser: 'cern', identifier: 'alma', actor: 'alice' });
    f.advance(2000);
    await publishCatalog(f.inst, { endorser: 'cern', actor: 'alice' });
    const second = await diffPending(f.inst, 'cern');
    assert.equal(second.last?.sequence, 1);
    assert.equal(second.nextSequence, 2);
    assert.deepEqual(
      second.withdrawn.map((i) => i.identifier),
      ['alma'],
    );
    assert.deepEqual(second.added, []);
    // Discarding frees the sequence for the next publish.
    await discardPending(f.inst, { endorser: 'cern', actor: 'alice' });
    await setThreshold(f.inst, { endorser: 'cern', threshold: 1, actor: 'alice' });
    assert.equal((await publishCatalog(f.inst, { endorser: 'cern', actor: 'alice' })).sequence, 2);
  } finally {
    await f.cleanup();
  }
});

test('one person, one signature: on the web, the publisher may not also co-sign (onePerActor)', async () => {
  const f = await cosignFixture(3);
  try {
    await publishCatalog(f.inst, { endorser: 'cern', actor: 'alice' });
    // alice published (the endorser's own signature), and also holds dept's role: refused.
    await refused(
      signPending(f.inst, { endorser: 'cern', as: 'dept', actor: 'alice', onePerActor: true }),
      'CONFLICT',
    );
    const other = await signPending(f.inst, {
      endorser: 'cern',
      as: 'dept',
      actor: 'bob',
      onePerActor: true,
    });
    assert.equal(other.published, undefined);
    assert.deepEqual(other.signers.length, 2);
  } finally {
    await f.cleanup();
  }
});
