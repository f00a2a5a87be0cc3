import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FIXTURE_TIME } from '../../fixtures/pki-fixtures.ts';
import { randomImage, startImageServer } from '../../catalog/site/helpers/image-server.ts';
import { addSiteImage, addSubscription } from '../../catalog/site/helpers/site-rows.ts';
import { startSite } from '../site-harness.ts';
import { codes, expectProblem, type Decision } from './setup.ts';

describe('site API: fetch', () => {
  test('POST /site/fetch downloads and verifies; the gate then no longer says NOT_FETCHED', async () => {
    const s = await startSite({ now: FIXTURE_TIME });
    const server = await startImageServer();
    try {
      const img = randomImage(64 * 1024);
      server.serve('/alma.qcow2', img.bytes);
      const sub = await addSubscription(s.inst.store.db, 'local');
      await addSiteImage(s.inst.store.db, sub, {
        identifier: 'alma-9',
        sha256: img.sha256,
        byteSize: img.bytes.length,
        url: server.url('/alma.qcow2'),
      });
      const admin = await s.token('admin');
      const token = await s.token('auditor');
      let res = await s.call('GET', '/gate/alma-9', { token });
      assert.ok(codes((await res.json()) as Decision).includes('NOT_FETCHED'));

      await expectProblem(
        await s.call('POST', '/site/fetch', { token: admin, body: { subscription: 'nope' } }),
        404,
        'NOT_FOUND',
      );
      await expectProblem(
        await s.call('POST', '/site/fetch', { token: admin, body: { scope: 'all' } }),
        400,
        'BAD_REQUEST',
      );
      const release = await s.holdRunLock('fetch');
      try {
        await expectProblem(await s.call('POST', '/site/fetch', { token: admin }), 409, 'CONFLICT');
      } finally {
        await release();
      }

      res = await s.call('POST', '/site/fetch', { token: admin, body: { subscription: 'local' } });
      assert.equal(res.status, 200);
      const summary = (await res.json()) as {
        images: { identifier: string; outcome: string }[];
        totals: Record<string, number>;
      };
      assert.deepEqual(
        summary.images.map((i) => [i.identifier, i.outcome]),
        [['alma-9', 'fetched']],
      );
      assert.equal(summary.totals.fetched, 1);

      res = await s.call('GET', '/gate/alma-9', { token });
      const d = (await res.json()) as Decision;
      assert.ok(!codes(d).includes('NOT_FETCHED'));
      res = await s.call('GET', '/site/images', { token });
      const [listed] = ((await res.json()) as { images: { fetched: boolean }[] }).images;
      assert.equal(listed?.fetched, true);
      assert.deepEqual(s.logs, []);
    } finally {
      await server.close();
      await s.close();
    }
  });
});
