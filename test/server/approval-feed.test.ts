import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readApprovalFeed, refreshApprovalFeed } from '../../catalog/site/approval-feed.ts';
import { unapproveImage } from '../../catalog/site/approvals.ts';
import { startServer } from '../../server/index.ts';
import { Metrics } from '../../server/metrics.ts';
import { approvalFeedFixtures } from '../catalog/site/helpers/approval-feed-site.ts';

const fixtures = approvalFeedFixtures();

test('no site identity: /site/approved.p7m and .json are 404 problems, without sign-in', async () => {
  const s = await fixtures.site({ identity: false });
  const server = await startServer(s.inst, { host: '127.0.0.1', port: 0 });
  try {
    for (const file of ['approved.p7m', 'approved.json']) {
      const res = await fetch(`${server.url}/site/${file}`);
      assert.equal(res.status, 404);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    }
  } finally {
    await server.close();
    await s.cleanup();
  }
});

test('the signed feed is served publicly with a strong ETag and no-cache, and counted', async () => {
  const s = await fixtures.site({ identity: true });
  const metrics = new Metrics(s.inst);
  const detach = s.inst.observers.add((e) => metrics.onEvent(e));
  const server = await startServer(s.inst, { host: '127.0.0.1', port: 0 });
  try {
    // Signed when the identity was set; past half its lifetime, a refresh re-signs.
    s.advance(1800_000);
    assert.deepEqual(await refreshApprovalFeed(s.inst), { signed: true, sequence: 2 });
    const stored = (await readApprovalFeed(s.inst.store.db))!;
    const p7m = await fetch(`${server.url}/site/approved.p7m`);
    assert.equal(p7m.status, 200);
    assert.equal(p7m.headers.get('content-type'), 'application/pkcs7-mime');
    assert.equal(p7m.headers.get('cache-control'), 'no-cache');
    const bytes = Buffer.from(await p7m.arrayBuffer());
    assert.deepEqual(bytes, Buffer.from(stored.p7m, 'base64'));
    const etag = `"${createHash('sha256').update(bytes).digest('hex')}"`;
    assert.equal(p7m.headers.get('etag'), etag);
    const again = await fetch(`${server.url}/site/approved.p7m`, {
      headers: { 'if-none-match': etag },
    });
    assert.equal(again.status, 304);

    const json = await fetch(`${server.url}/site/approved.json`);
    assert.equal(json.status, 200);
    assert.equal(json.headers.get('cache-control'), 'no-cache');
    const body = (await json.json()) as { sequence: number; images: { identifier: string }[] };
    assert.equal(body.sequence, 2);
    assert.deepEqual(
      body.images.map((i) => i.identifier),
      ['img'],
    );

    // A change re-signs: the ETag the node held no longer matches.
    await unapproveImage(s.inst, { image: 'img', actor: 'test' });
    const changed = await fetch(`${server.url}/site/approved.p7m`, {
      headers: { 'if-none-match': etag },
    });
    assert.equal(changed.status, 200);
    await changed.arrayBuffer();
    const counter = await metrics.registry.getSingleMetricAsString(
      'vmic_approval_feed_signatures_total',
    );
    assert.match(counter, /^vmic_approval_feed_signatures_total 2$/m);
  } finally {
    detach();
    await server.close();
    await s.cleanup();
  }
});
