import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { scenario, type Scenario } from '../fixtures/pki-fixtures.ts';
import { vmic } from '../helpers/cli.ts';
import { startFeedServer } from '../catalog/site/helpers/signed-feed.ts';
import { startImageServer, type ImageServer } from '../catalog/site/helpers/image-server.ts';
import { approvalFeedSite } from '../catalog/site/helpers/approval-feed-site.ts';

// `vmic site approved` in its own process, on the real clock. The site's catalog is dated
// in 2030: at the real time its image is not deployable, so the command signs a second
// feed (the first was signed when the identity was set) listing none.
let pki: Scenario;
let feed: Awaited<ReturnType<typeof startFeedServer>>;
let images: ImageServer;

before(async () => {
  pki = await scenario();
  feed = await startFeedServer();
  images = await startImageServer();
});
after(async () => {
  await feed.stop();
  await images.close();
});

test('vmic site approved: a configuration error without a site identity', async () => {
  const s = await approvalFeedSite(pki, feed, images, { identity: false });
  try {
    await s.inst.close();
    const r = vmic(['site', 'approved', '--data', s.dir]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /no identity yet/);
  } finally {
    await s.cleanup();
  }
});

test('vmic site approved --json: the feed as /site/approved.json serves it', async () => {
  const s = await approvalFeedSite(pki, feed, images, { identity: true });
  try {
    await s.inst.close();
    const r = vmic(['site', 'approved', '--json', '--data', s.dir]);
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { version: number; site: string; sequence: number };
    assert.equal(json.version, 1);
    assert.equal(json.site, 'https://vmic.example.org');
    assert.equal(json.sequence, 2);
    assert.deepEqual((json as unknown as { images: unknown[] }).images, []);
    const human = vmic(['site', 'approved', '--data', s.dir]);
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /^approval feed 2: issued .*, 0 image\(s\)$/m);
  } finally {
    await s.cleanup();
  }
});
