import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { FIXTURE_TIME } from '../../fixtures/pki-fixtures.ts';
import {
  addApproval,
  addSiteImage,
  addSubscription,
} from '../../catalog/site/helpers/site-rows.ts';
import { WEB_SCAN } from '../../../server/web/pages/site-images-page.ts';
import { get, launchBrowser, signIn, startPagesServer, type PagesServer } from './helpers.ts';

const ROWS = '[data-testid="site-image-row"]';
const NEXT = '[data-testid="next-page"]';

/** The identifiers of the rows on the current page. */
async function shown(page: Page): Promise<string[]> {
  return (
    await page
      .locator(ROWS)
      .evaluateAll((els: { getAttribute(n: string): string | null }[]) =>
        els.map((e) => e.getAttribute('data-identifier') ?? ''),
      )
  ).map(String);
}

async function position(page: Page): Promise<string> {
  return ((await page.textContent('[data-testid="page-position"]')) ?? '').replace(/\s+/g, ' ');
}

describe('web admin: /site/images a page at a time', () => {
  let s: PagesServer;
  let browser: Browser;
  let page: Page;
  const ids: string[] = [];
  const awaiting: string[] = [];

  before(async () => {
    s = await startPagesServer({ now: () => FIXTURE_TIME, publicUrl: 'http://site.test' });
    const db = s.inst.store.db;
    const sub = await addSubscription(db, 'pg');
    // 120 images; every third approved, so 80 are awaiting approval.
    for (let i = 0; i < 120; i++) {
      const identifier = `img-${String(i).padStart(3, '0')}`;
      const sha256 = i.toString(16).padStart(64, '0');
      await addSiteImage(db, sub, { identifier, sha256, byteSize: 1, url: 'https://x.example/i' });
      ids.push(identifier);
      if (i % 3 === 0) await addApproval(db, sub, { kind: 'image', sha256 });
      else awaiting.push(identifier);
    }
    browser = await launchBrowser();
    ({ page } = await signIn(browser, s.url, 'ada', 'admin'));
  });
  after(async () => {
    await browser.close();
    await s.close();
    assert.deepEqual(s.logs, []);
  });

  test('50 rows a page, a next link while more rows follow, every row once', async () => {
    await page.goto('/site/images');
    const seen = await shown(page);
    assert.equal(seen.length, 50);
    assert.match(await position(page), /Images 1–50 of 120/);
    assert.equal(await page.locator('[data-testid="first-page"]').count(), 0);
    await Promise.all([page.waitForURL('**/site/images?cursor=*'), page.click(NEXT)]);
    assert.match(await position(page), /Images 51–100 of 120/);
    assert.equal(await page.locator('[data-testid="first-page"]').count(), 1);
    seen.push(...(await shown(page)));
    await Promise.all([page.waitForURL('**/site/images?cursor=*'), page.click(NEXT)]);
    assert.match(await position(page), /Images 101–120 of 120/);
    seen.push(...(await shown(page)));
    assert.equal(await page.locator(NEXT).count(), 0, 'the last page has no next link');
    assert.deepEqual(seen, ids);
  });

  test('?state= pages through matches only; the next link keeps state and subscription', async () => {
    await page.goto('/site/images?state=awaiting-approval&subscription=pg');
    const seen = await shown(page);
    assert.equal(seen.length, 50);
    assert.match(await position(page), /Showing 50 awaiting approval among images 1–\d+ of 120/);
    const href = new URL((await page.getAttribute(NEXT, 'href')) ?? '', s.url);
    assert.equal(href.searchParams.get('state'), 'awaiting-approval');
    assert.equal(href.searchParams.get('subscription'), 'pg');
    await Promise.all([page.waitForURL('**/site/images?*cursor=*'), page.click(NEXT)]);
    seen.push(...(await shown(page)));
    assert.equal(await page.locator(NEXT).count(), 0);
    assert.deepEqual(seen, awaiting);
  });

  test('a rare ?state= looks at a bounded part of the list per page and says which', async () => {
    const db = s.inst.store.db;
    const big = await addSubscription(db, 'big');
    await addApproval(db, big, { kind: 'endorser' });
    for (let i = 0; i < WEB_SCAN + 20; i++) {
      const sha256 = `f${i.toString(16).padStart(63, '0')}`;
      const identifier = `big-${String(i).padStart(3, '0')}`;
      await addSiteImage(db, big, { identifier, sha256, byteSize: 1, url: 'https://x.example/i' });
    }
    await page.goto('/site/images?state=awaiting-approval&subscription=big');
    assert.equal(await page.locator(ROWS).count(), 0);
    assert.match(
      await position(page),
      new RegExp(`Showing 0 awaiting approval among images 1–${WEB_SCAN} of ${WEB_SCAN + 20}`),
    );
    assert.match((await page.textContent('[data-testid="no-match"]')) ?? '', /No image here/);
    await Promise.all([page.waitForURL('**/site/images?*cursor=*'), page.click(NEXT)]);
    assert.match(await position(page), new RegExp(`among images ${WEB_SCAN + 1}–${WEB_SCAN + 20}`));
    assert.equal(await page.locator(NEXT).count(), 0);
  });

  test('a malformed cursor or an unknown subscription is refused', async () => {
    assert.equal(await get(page, '/site/images?cursor=bogus'), 400);
    assert.equal(await get(page, '/site/images?cursor=a&cursor=b'), 400);
    assert.equal(await get(page, '/site/images?subscription=nope'), 404);
  });
});
