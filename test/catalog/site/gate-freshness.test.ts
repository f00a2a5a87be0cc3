import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { listSubscriptions, subscribe } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { fetchImages } from '../../../catalog/site/fetch-images.ts';
import { approveEndorser, approveImage } from '../../../catalog/site/approvals.ts';
import { decideDeployment } from '../../../catalog/site/gate.ts';
import { setPolicy } from '../../../catalog/site/policy.ts';
import { formatHepixDate } from '../../../catalog/hepix/index.ts';
import { describeSubscription } from '../../../scripts/cli/commands/subscribe.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { vmic } from '../../helpers/cli.ts';
import { vmcasterList } from '../hepix/helpers.ts';
import { catalogNQuads } from './helpers/signed-feed.ts';
import { startFeedHost, type FeedHost } from './helpers/feed-host.ts';
import { randomImage, startImageServer, type ImageServer } from './helpers/image-server.ts';
import {
  opensslCmsSign,
  opensslEndorser,
  opensslRootCa,
  opensslSmimeSign,
  type OpensslCert,
} from '../../helpers/openssl/index.ts';
import { dumpSiteState } from './helpers/site-dump.ts';

// Issue 10 item 2: freshness is decided by the gate at decision time. A feed host that
// answers 304 Not Modified for ever (or stops answering) cannot keep a catalog deployable
// past the site's max-catalog-age, nor an image past its own dc:date:expires. Certificates
// and signatures are made by stock openssl.
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const CA_DN = '/C=CH/O=vmic test/CN=Freshness Test CA';
const ENDORSER_DN = '/C=CH/O=vmic test/CN=Freshness Endorser';

let dir: string;
let ca: OpensslCert;
let endorser: OpensslCert;
let feeds: FeedHost;
let images: ImageServer;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-fresh-'));
  ca = opensslRootCa(dir, 'ca', CA_DN);
  endorser = opensslEndorser(dir, 'endorser', ENDORSER_DN, ca);
  feeds = await startFeedHost();
  images = await startImageServer();
});
after(async () => {
  await feeds.stop();
  await images.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A site trusting the openssl CA, whose clock the test moves. */
async function site() {
  // Whole seconds: catalogs and lists carry their dates to the second.
  const clock = { now: Math.floor(Date.now() / 1000) * 1000 };
  const t = await tempInstance({ now: () => new Date(clock.now) });
  await addTrustMaterial(t.inst, ca.pem, 'test');
  return { ...t, clock };
}

const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

test('a feed answering 304 for ever stops being deployable at max-catalog-age (CATALOG_EXPIRED)', async () => {
  const s = await site();
  try {
    await setPolicy(s.inst, 'max-catalog-age', String(7 * 86400), 'test');
    await subscribe(s.inst, {
      url: feeds.url('/feeds/frozen/'),
      expectSubject: endorser.subject,
      actor: 'test',
      log: 'off',
    });
    const img = randomImage(32 * 1024);
    images.serve(`/frozen/${img.sha256}`, img.bytes);
    const issued = s.clock.now - HOUR;
    const nquads = await catalogNQuads({
      signer: endorser,
      sequence: 1,
      issued: new Date(issued),
      // The catalog's own expiry is far away: only the site's limit can stop it.
      expires: new Date(issued + 60 * DAY),
      images: [
        {
          identifier: 'alma9',
          sha256: img.sha256,
          byteSize: img.bytes.length,
          downloadUrl: images.url(`/frozen/${img.sha256}`),
        },
      ],
    });
    feeds.serve('/feeds/frozen/catalog.p7m', opensslCmsSign(dir, nquads, endorser), '304-forever');

    const first = await runImport(s.inst, { actor: 'test' });
    assert.equal(first[0]?.status, 'applied', first[0]?.message);
    const verifiedAt = new Date(s.clock.now).toISOString();
    assert.equal((await fetchImages(s.inst, { actor: 'test' })).totals.failed, 0);
    await approveImage(s.inst, { image: 'alma9', actor: 'test' });
    assert.equal((await decideDeployment(s.inst, 'alma9')).deployable, true);

    // A day later: the host answers 304, recorded as "unchanged, last verified at T".
    s.clock.now += DAY;
    const [unchanged] = await runImport(s.inst, { actor: 'test' });
    assert.equal(unchanged?.status, 'not-modified');
    assert.equal(unchanged?.lastVerifiedAt, verifiedAt);
    assert.equal(feeds.requests.at(-1)?.status, 304);
    assert.ok(feeds.requests.at(-1)?.ifNoneMatch, 'the ETag was sent while the catalog is fresh');
    let sub = await s.inst.store.db
      .selectFrom('subscriptions')
      .selectAll()
      .executeTakeFirstOrThrow();
    assert.equal(sub.last_not_modified_at, new Date(s.clock.now).toISOString());
    assert.equal(sub.last_success_at, verifiedAt, 'a 304 verifies nothing');
    assert.equal((await decideDeployment(s.inst, 'alma9')).deployable, true);

    // Past max-catalog-age, counted from the catalog's issue time: the gate refuses at
    // once, whatever the feed says (no import has run since).
    s.clock.now = issued + 7 * DAY + 60_000;
    const d = await decideDeployment(s.inst, 'alma9');
    assert.equal(d.deployable, false);
    assert.deepEqual(codes(d), ['CATALOG_EXPIRED']);
    assert.match(d.reasons[0]!.message, /max-catalog-age/);
    assert.equal(d.catalog?.issuedAt, new Date(issued).toISOString());

    // The next import asks without the ETag (the held catalog has lapsed); the host still
    // answers 304, which is recorded, and refused with the limit named.
    const state = await dumpSiteState(s.inst);
    const [lapsed] = await runImport(s.inst, { actor: 'test' });
    assert.equal(lapsed?.status, 'failed');
    assert.equal(lapsed?.code, 'CATALOG_EXPIRED');
    assert.equal(lapsed?.rule, 'max-catalog-age');
    assert.match(lapsed?.message ?? '', /304 Not Modified/);
    assert.equal(feeds.requests.at(-1)?.status, 304);
    assert.equal(feeds.requests.at(-1)?.ifNoneMatch, undefined);
    sub = await s.inst.store.db.selectFrom('subscriptions').selectAll().executeTakeFirstOrThrow();
    assert.equal(sub.last_not_modified_at, new Date(s.clock.now).toISOString());
    assert.equal(sub.last_error_code, 'CATALOG_EXPIRED');
    assert.equal(await dumpSiteState(s.inst), state, 'a refusal changes only the last result');

    // A host that stops answering changes nothing either: still not deployable.
    feeds.serve('/feeds/frozen/catalog.p7m', undefined);
    assert.equal((await runImport(s.inst, { actor: 'test' }))[0]?.code, 'FETCH_FAILED');
    assert.deepEqual(codes(await decideDeployment(s.inst, 'alma9')), ['CATALOG_EXPIRED']);

    // `subscription list` shows how old the newest verified catalog is and the last 304.
    const [listed] = await listSubscriptions(s.inst.store.db, new Date(s.clock.now));
    assert.equal(listed?.catalog?.ageSeconds, 7 * 86400 + 60);
    const text = describeSubscription(listed);
    assert.match(text, /newest verified catalog: issued \S+ \(7 d old\)/);
    assert.ok(text.includes(`last 304 Not Modified: ${sub.last_not_modified_at}`), text);
    const cli = vmic(['subscription', 'list', '--data', s.dir]);
    assert.equal(cli.status, 0, cli.stderr);
    assert.ok(cli.stdout.includes(`last 304 Not Modified: ${sub.last_not_modified_at}`));
    assert.match(cli.stdout, /newest verified catalog: issued \S+ \([^)]+ old\)/);
  } finally {
    await s.cleanup();
  }
});

test('an image past its own dc:date:expires is refused by the gate (CATALOG_EXPIRED) while the feed says 304', async () => {
  const s = await site();
  try {
    await subscribe(s.inst, {
      url: feeds.url('/store/expiring.vo/image.list'),
      format: 'hepix',
      expectSubject: ENDORSER_DN,
      name: 'expiring',
      actor: 'test',
    });
    const img = randomImage(16 * 1024);
    images.serve('/expiring/disk.qcow2', img.bytes);
    const imageExpires = new Date(s.clock.now + 2 * DAY);
    const json = vmcasterList({
      version: '1',
      created: formatHepixDate(new Date(s.clock.now - HOUR)),
      expires: formatHepixDate(new Date(s.clock.now + 30 * DAY)),
      dn: ENDORSER_DN,
      ca: CA_DN,
      images: [
        {
          identifier: 'short-lived',
          bytes: img.bytes,
          url: images.url('/expiring/disk.qcow2'),
          extra: { 'dc:date:expires': formatHepixDate(imageExpires) },
        },
      ],
    });
    feeds.serve(
      '/store/expiring.vo/image.list',
      opensslSmimeSign(dir, json, { cert: endorser.certFile, key: endorser.keyFile }),
    );
    const [applied] = await runImport(s.inst, { actor: 'test' });
    assert.equal(applied?.status, 'applied', applied?.message);
    await approveEndorser(s.inst, { subscription: 'expiring', actor: 'test' });
    assert.equal((await fetchImages(s.inst, { actor: 'test' })).totals.failed, 0);
    assert.equal((await decideDeployment(s.inst, 'short-lived')).deployable, true);

    s.clock.now += 3 * DAY;
    assert.equal((await runImport(s.inst, { actor: 'test' }))[0]?.status, 'not-modified');
    const d = await decideDeployment(s.inst, 'short-lived');
    assert.deepEqual(codes(d), ['CATALOG_EXPIRED']);
    assert.match(d.reasons[0]!.message, /dc:date:expires/);
    assert.equal(d.expiresAt, imageExpires.toISOString());
  } finally {
    await s.cleanup();
  }
});
