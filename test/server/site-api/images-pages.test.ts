import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addSiteImage, addSubscription } from '../../catalog/site/helpers/site-rows.ts';
import { problemOf } from '../harness.ts';
import { siteForTests } from './setup.ts';

interface Page {
  images: { subscription: string; identifier: string; reasons: { code: string }[] }[];
  next: string | null;
}

describe('site API: GET /site/images a page at a time', () => {
  const site = siteForTests();
  // Two subscriptions, inserted out of list order, so a walk in id order would differ.
  const listed = { pb: 60, pa: 70 };
  const all: string[] = [];
  let token: string;

  before(async () => {
    const s = site();
    const db = s.inst.store.db;
    for (const [name, n] of Object.entries(listed)) {
      const id = await addSubscription(db, name);
      for (let i = n - 1; i >= 0; i--) {
        const identifier = `img-${String(i).padStart(3, '0')}`;
        const sha256 = (name === 'pa' ? 'a' : 'b') + i.toString(16).padStart(63, '0');
        await addSiteImage(db, id, { identifier, sha256, byteSize: 1, url: 'https://x.example/i' });
        all.push(`${name}/${identifier}`);
      }
    }
    all.sort();
    token = await site().token('auditor');
  });

  async function page(query: string): Promise<Page> {
    const res = await site().call('GET', `/site/images?${query}`, { token });
    assert.equal(res.status, 200, query);
    return (await res.json()) as Page;
  }

  /** Every page from the first, following `next`; the page sizes seen. */
  async function walk(query: string): Promise<{ seen: string[]; sizes: number[] }> {
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const p = await page(cursor === null ? query : `${query}&cursor=${cursor}`);
      sizes.push(p.images.length);
      for (const i of p.images) {
        assert.ok(i.reasons.length > 0, 'each row carries its own gate decision');
        seen.push(`${i.subscription}/${i.identifier}`);
      }
      cursor = p.next;
      assert.ok(sizes.length <= all.length, 'next must end');
    } while (cursor !== null);
    return { seen, sizes };
  }

  test('following next walks every image once, in subscription and identifier order', async () => {
    const { seen, sizes } = await walk('limit=50');
    assert.deepEqual(sizes, [50, 50, 30]);
    assert.equal(new Set(seen).size, seen.length, 'no image twice');
    assert.deepEqual(seen, all, 'none missing, in list order');
    const one = await walk('limit=1');
    assert.deepEqual(one.seen, all);
  });

  test('without limit a page holds 100; the last page says null; limit=500 holds all', async () => {
    const first = await page('');
    assert.equal(first.images.length, 100);
    assert.equal(typeof first.next, 'string');
    const whole = await page('limit=500');
    assert.equal(whole.images.length, all.length);
    assert.equal(whole.next, null);
    // Exactly one page's worth: still no next page to follow.
    assert.equal((await page(`limit=${all.length}`)).next, null);
  });

  test('?subscription= pages within that subscription only', async () => {
    const { seen, sizes } = await walk('subscription=pb&limit=25');
    assert.deepEqual(sizes, [25, 25, 10]);
    assert.deepEqual(
      seen,
      all.filter((x) => x.startsWith('pb/')),
    );
  });

  test('a cursor after a row removed since still continues from its place', async () => {
    const s = site();
    const p = await page('subscription=pa&limit=10');
    const last = p.images.at(-1);
    assert.ok(last && p.next !== null);
    await s.inst.store.db
      .deleteFrom('site_images')
      .where('identifier', '=', last.identifier)
      .where('subscription_id', 'in', (q) =>
        q.selectFrom('subscriptions').select('id').where('name', '=', 'pa'),
      )
      .execute();
    const rest = await page(`subscription=pa&limit=500&cursor=${p.next}`);
    assert.deepEqual(
      rest.images.map((i) => `pa/${i.identifier}`),
      all.filter((x) => x.startsWith('pa/')).slice(10),
    );
  });

  test('limit outside 1-500 or not a plain integer is a 400 naming /query/limit', async () => {
    for (const limit of ['0', '501', '-1', '1.5', '01', 'ten', '', '1e2']) {
      const res = await site().call('GET', `/site/images?limit=${limit}`, { token });
      assert.equal(res.status, 400, `limit=${limit}`);
      const problem = await problemOf(res);
      assert.equal(problem.code, 'BAD_REQUEST');
      assert.equal(problem.rule, '/query/limit', `limit=${limit}`);
    }
    assert.equal((await page('limit=1')).images.length, 1);
  });

  test('a cursor this server did not write is a 400 naming /query/cursor', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    const bad = [
      '!!!',
      'abc',
      b64('{"a":1}'),
      b64('["pa"]'),
      b64('["pa",7]'),
      `${b64('["pa","img-001"]')}=`,
      `${b64('["pa","img-001"]')}&cursor=${b64('["pa","img-002"]')}`,
    ];
    for (const cursor of bad) {
      const res = await site().call('GET', `/site/images?cursor=${cursor}`, { token });
      assert.equal(res.status, 400, cursor);
      const problem = await problemOf(res);
      assert.equal(problem.code, 'BAD_REQUEST');
      assert.equal(problem.rule, '/query/cursor', cursor);
    }
    // The same key spelled as this server spells it is accepted.
    const ok = await page(`limit=1&cursor=${b64('["pa","img-001"]')}`);
    assert.equal(ok.images[0]?.identifier, 'img-002');
  });
});
