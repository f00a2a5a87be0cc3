import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { getSubscription, subscribe } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { formatHepixDate } from '../../../catalog/hepix/index.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { vmic } from '../../helpers/cli.ts';
import { vmcasterList } from '../hepix/helpers.ts';
import { catalogNQuads } from './helpers/signed-feed.ts';
import { startFeedHost, type FeedHost } from './helpers/feed-host.ts';
import {
  opensslCmsSign,
  opensslEndorser,
  opensslRootCa,
  opensslSmimeSign,
  opensslSpkiSha256,
  type OpensslCert,
} from '../../helpers/openssl/index.ts';
import { dumpSiteState } from './helpers/site-dump.ts';

// Issue 10 item 5 (subscriptions): without --expect-issuer, the first verified import
// pins the issuing CA's subject and key (trust on first use). A second CA, made with
// `openssl req -x509` under the very same subject DN and trusted too, issues a
// certificate with the endorser's subject: its catalogs are refused SUBJECT_MISMATCH.
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const CA_DN = '/C=CH/O=vmic test/CN=Shared Name CA';
const ENDORSER_DN = '/C=CH/O=vmic test/CN=Pinned Endorser';

let dir: string;
let ca1: OpensslCert;
let ca2: OpensslCert;
let genuine: OpensslCert;
let impostor: OpensslCert;
let feeds: FeedHost;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-pin-'));
  ca1 = opensslRootCa(dir, 'ca1', CA_DN);
  ca2 = opensslRootCa(dir, 'ca2', CA_DN);
  genuine = opensslEndorser(dir, 'genuine', ENDORSER_DN, ca1);
  impostor = opensslEndorser(dir, 'impostor', ENDORSER_DN, ca2);
  feeds = await startFeedHost();
});
after(async () => {
  await feeds.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A site that trusts both CAs (e.g. one for endorsers, one for another purpose). */
async function site() {
  const now = Math.floor(Date.now() / 1000) * 1000;
  const t = await tempInstance({ now: () => new Date(now) });
  await addTrustMaterial(t.inst, ca1.pem + ca2.pem, 'test');
  return { ...t, now };
}

async function catalog(signer: OpensslCert, sequence: number, now: number): Promise<Buffer> {
  const nquads = await catalogNQuads({
    signer,
    sequence,
    issued: new Date(now - HOUR),
    expires: new Date(now + 30 * DAY),
    images: [{ identifier: `img-${sequence}`, sha256: 'c'.repeat(64), byteSize: 10 }],
  });
  return opensslCmsSign(dir, nquads, signer);
}

function list(signer: OpensslCert, version: string, now: number): Buffer {
  const json = vmcasterList({
    version,
    created: formatHepixDate(new Date(now - HOUR)),
    expires: formatHepixDate(new Date(now + 30 * DAY)),
    dn: ENDORSER_DN,
    ca: CA_DN,
    images: [{ identifier: 'alma9', bytes: Buffer.from(`v${version}`), url: 'http://x/' }],
  });
  return opensslSmimeSign(dir, json, { cert: signer.certFile, key: signer.keyFile });
}

test('the two CAs really share a subject DN and differ in key', () => {
  assert.equal(ca1.subject, ca2.subject);
  assert.equal(genuine.subject, impostor.subject);
  assert.equal(genuine.issuer, impostor.issuer);
  assert.notEqual(opensslSpkiSha256(ca1), opensslSpkiSha256(ca2));
});

test('RDF catalog: the first import pins the CA key; a catalog from the other CA with the same DN → SUBJECT_MISMATCH', async () => {
  const t = await site();
  try {
    await subscribe(t.inst, {
      url: feeds.url('/feeds/pinned/'),
      expectSubject: genuine.subject,
      actor: 'test',
      log: 'off',
    });
    assert.equal((await getSubscription(t.inst.store.db, 'pinned')).issuerPin, undefined);

    feeds.serve('/feeds/pinned/catalog.p7m', await catalog(genuine, 1, t.now));
    const [first] = await runImport(t.inst, { actor: 'test' });
    assert.equal(first?.status, 'applied', first?.message);
    const key = opensslSpkiSha256(ca1);
    assert.deepEqual(first?.issuerPinned, { subject: ca1.subject, key });
    const sub = await getSubscription(t.inst.store.db, 'pinned');
    assert.deepEqual(sub.issuerPin, {
      subject: ca1.subject,
      key,
      pinnedAt: new Date(t.now).toISOString(),
    });
    const audit = await t.inst.store.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'subscription.issuer-pinned')
      .execute();
    assert.equal(audit.length, 1);

    // The impostor: a valid chain to a trusted anchor, the pinned subject, the same issuer DN.
    const state = await dumpSiteState(t.inst);
    feeds.serve('/feeds/pinned/catalog.p7m', await catalog(impostor, 2, t.now));
    const [refused] = await runImport(t.inst, { actor: 'test' });
    assert.equal(refused?.status, 'failed');
    assert.equal(refused?.code, 'SUBJECT_MISMATCH', refused?.message);
    assert.equal(refused?.rule, 'pin.issuerKey');
    assert.equal(await dumpSiteState(t.inst), state, 'site state changed by a refused import');

    // The genuine endorser's next catalog is still accepted, and the pin stays.
    feeds.serve('/feeds/pinned/catalog.p7m', await catalog(genuine, 2, t.now));
    const [next] = await runImport(t.inst, { actor: 'test' });
    assert.equal(next?.status, 'applied', next?.message);
    assert.equal(next?.issuerPinned, undefined);

    // `vmic subscription list` shows the pin.
    const cli = vmic(['subscription', 'list', '--data', t.dir]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.ok(cli.stdout.includes(`issuer pin: ${ca1.subject} key ${key}`), cli.stdout);

    // A CA re-key is the operator's call: `subscription repin` forgets the pin, audited,
    // and the next verified import pins the CA it comes from.
    const repin = vmic(['subscription', 'repin', 'pinned', '--data', t.dir]);
    assert.equal(repin.status, 0, repin.stderr);
    assert.equal((await getSubscription(t.inst.store.db, 'pinned')).issuerPin, undefined);
    feeds.serve('/feeds/pinned/catalog.p7m', await catalog(impostor, 3, t.now));
    const [repinned] = await runImport(t.inst, { actor: 'test' });
    assert.equal(repinned?.status, 'applied', repinned?.message);
    assert.equal(repinned?.issuerPinned?.key, opensslSpkiSha256(ca2));
  } finally {
    await t.cleanup();
  }
});

test('a refused first import pins nothing: the first *verified* import does', async () => {
  const t = await site();
  try {
    await subscribe(t.inst, {
      url: feeds.url('/feeds/first/'),
      expectSubject: genuine.subject,
      actor: 'test',
      log: 'off',
    });
    // A catalog issued in the future is refused after the chain was built.
    const early = await catalogNQuads({
      signer: impostor,
      sequence: 1,
      issued: new Date(t.now + DAY),
      expires: new Date(t.now + 30 * DAY),
    });
    feeds.serve('/feeds/first/catalog.p7m', opensslCmsSign(dir, early, impostor));
    assert.equal((await runImport(t.inst, { actor: 'test' }))[0]?.code, 'MALFORMED');
    assert.equal((await getSubscription(t.inst.store.db, 'first')).issuerPin, undefined);
    feeds.serve('/feeds/first/catalog.p7m', await catalog(genuine, 1, t.now));
    assert.equal((await runImport(t.inst, { actor: 'test' }))[0]?.status, 'applied');
    assert.equal(
      (await getSubscription(t.inst.store.db, 'first')).issuerPin?.key,
      opensslSpkiSha256(ca1),
    );
  } finally {
    await t.cleanup();
  }
});

test('HEPiX list: the first import pins the CA key; a list from the other CA with the same DN → SUBJECT_MISMATCH', async () => {
  const t = await site();
  try {
    await subscribe(t.inst, {
      url: feeds.url('/store/pinned.vo/image.list'),
      format: 'hepix',
      expectSubject: ENDORSER_DN,
      name: 'pinned-vo',
      actor: 'test',
    });
    feeds.serve('/store/pinned.vo/image.list', list(genuine, '1', t.now));
    const [first] = await runImport(t.inst, { actor: 'test' });
    assert.equal(first?.status, 'applied', first?.message);
    assert.equal(first?.issuerPinned?.key, opensslSpkiSha256(ca1));

    const state = await dumpSiteState(t.inst);
    feeds.serve('/store/pinned.vo/image.list', list(impostor, '2', t.now));
    const [refused] = await runImport(t.inst, { actor: 'test' });
    assert.equal(refused?.code, 'SUBJECT_MISMATCH', refused?.message);
    assert.equal(refused?.rule, 'pin.issuerKey');
    assert.equal(await dumpSiteState(t.inst), state, 'site state changed by a refused import');
  } finally {
    await t.cleanup();
  }
});
