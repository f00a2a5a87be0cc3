import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { after, before, test } from 'node:test';
import { describeCertificate } from '../../../pki/index.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import {
  opensslCmsCoSign,
  opensslCmsVerify,
  opensslLeaf,
  opensslRoot,
  type IssuedCert,
  type OpensslCa,
} from '../../helpers/openssl/index.ts';
import { catalogNQuads, startFeedServer } from './helpers/signed-feed.ts';

/*
 * Co-signed catalogs at the site (issue 18): catalogs signed by several parties with
 * stock `openssl cms -sign -signer … -signer …` (one SignedData, a SignerInfo each), from
 * an openssl CA. A subscription expecting 2 of the 3 pinned subjects accepts two; refuses
 * one, one signer twice, and a second signer nobody pinned, with THRESHOLD_NOT_MET; a
 * subscription that expects one signer still refuses any catalog with two.
 */
let dir: string;
let ca: OpensslCa;
let signers: Record<'a' | 'a2' | 'b' | 'c' | 'rogue', IssuedCert & { subject: string }>;
let feed: Awaited<ReturnType<typeof startFeedServer>>;
let t: Awaited<ReturnType<typeof tempInstance>>;
let sequence = 0;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-cosign-'));
  ca = opensslRoot(path.join(dir, 'ca'), 'root', '/O=vmic test/CN=Co-sign Test CA');
  const leaf = (name: string, cn: string) => {
    const c = opensslLeaf(ca, name, `/O=vmic test/CN=${cn}`);
    return { ...c, subject: describeCertificate(c.der).subject };
  };
  signers = {
    a: leaf('a', 'Endorser A'),
    // The same party with a second certificate and key: still one signer.
    a2: leaf('a2', 'Endorser A'),
    b: leaf('b', 'Security Team B'),
    c: leaf('c', 'Partner Lab C'),
    rogue: leaf('rogue', 'Nobody Pinned'),
  };
  feed = await startFeedServer();
  t = await tempInstance();
  await addTrustMaterial(t.inst, fs.readFileSync(ca.certFile, 'utf8'), 'test');
  await subscribe(t.inst, {
    url: feed.url,
    name: 'cosigned',
    expectSubject: signers.a.subject,
    expectSigners: 2,
    coSigners: [signers.b.subject, signers.c.subject],
    log: 'off',
    actor: 'test',
  });
  await subscribe(t.inst, {
    url: feed.url,
    name: 'single',
    expectSubject: signers.a.subject,
    log: 'off',
    actor: 'test',
  });
});

after(async () => {
  await feed?.stop();
  await t?.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The next catalog, published by A, signed by `by` (in order) with openssl. */
async function serveSignedBy(...by: Array<keyof typeof signers>): Promise<string> {
  sequence++;
  const now = Date.now();
  const nq = await catalogNQuads({
    signer: { subject: signers.a.subject, issuer: describeCertificate(signers.a.der).issuer },
    sequence,
    issued: new Date(now - 60_000),
    expires: new Date(now + 86400_000),
  });
  const p7m = opensslCmsCoSign(
    dir,
    nq,
    by.map((k) => signers[k]),
  );
  feed.serve(p7m);
  const file = path.join(dir, `seq${sequence}.p7m`);
  fs.writeFileSync(file, p7m);
  return file;
}

const importOf = async (name: string) =>
  (await runImport(t.inst, { subscription: name, actor: 'test' }))[0]!;

test('2 of 3 pinned signers: accepted, and openssl cms -verify checks both', async () => {
  const file = await serveSignedBy('a', 'b');
  assert.equal(opensslCmsVerify(file, ca.certFile).status, 0);
  const r = await importOf('cosigned');
  assert.equal(r.status, 'applied', r.message);
  assert.equal(r.sequence, sequence);
  const audit = await t.inst.store.db
    .selectFrom('audit_log')
    .select('details')
    .where('action', '=', 'import.applied')
    .orderBy('seq', 'desc')
    .executeTakeFirstOrThrow();
  const details = JSON.parse(audit.details) as { coSigners?: string[] };
  assert.deepEqual(details.coSigners, [signers.a.subject, signers.b.subject]);
});

test('all three pinned signers: accepted', async () => {
  await serveSignedBy('a', 'c', 'b');
  assert.equal((await importOf('cosigned')).status, 'applied');
});

test('1 of 3: THRESHOLD_NOT_MET', async () => {
  await serveSignedBy('a');
  const r = await importOf('cosigned');
  assert.equal(r.code, 'THRESHOLD_NOT_MET', r.message);
  assert.match(r.message ?? '', /2 distinct pinned signers needed, 1 counted/);
});

test('one signer signing twice counts once: THRESHOLD_NOT_MET', async () => {
  await serveSignedBy('a', 'a2');
  const r = await importOf('cosigned');
  assert.equal(r.code, 'THRESHOLD_NOT_MET', r.message);
  assert.match(r.message ?? '', /signed more than once, counted once/);
});

test('a second signer nobody pinned does not count: THRESHOLD_NOT_MET', async () => {
  await serveSignedBy('a', 'rogue');
  const r = await importOf('cosigned');
  assert.equal(r.code, 'THRESHOLD_NOT_MET', r.message);
  assert.match(r.message ?? '', /CN=Nobody Pinned.*not pinned/);
});

test('a subscription that expects one signer still refuses a catalog with two', async () => {
  await serveSignedBy('a', 'b');
  const r = await importOf('single');
  assert.equal(r.code, 'MALFORMED', r.message);
  assert.match(r.message ?? '', /expected exactly one signer, found 2/);
});
