import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vmic } from '../helpers/cli.ts';
import { approvalFeedFixtures } from '../catalog/site/helpers/approval-feed-site.ts';

// `vmic site approved` in its own process, on the real clock. The site's catalog is dated
// in 2030: at the real time its image is not deployable, so the command signs a second
// feed (the first was signed when the identity was set) listing none.
const fixtures = approvalFeedFixtures();

test('vmic site approved: a configuration error without a site identity', async () => {
  const s = await fixtures.site({ identity: false });
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
  const s = await fixtures.site({ identity: true });
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
