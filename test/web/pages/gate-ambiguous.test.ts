import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startServer, type RunningServer } from '../../../server/index.ts';
import { loadWebConfig } from '../../../server/web/index.ts';
import { shadowedSite } from '../../catalog/site/helpers/shadow-site.ts';
import { launchBrowser, screenshot, signIn } from './helpers.ts';

describe('web gate page: an identifier listed by two subscriptions', () => {
  let site: Awaited<ReturnType<typeof shadowedSite>>;
  let server: RunningServer;
  let browser: Browser;
  before(async () => {
    site = await shadowedSite();
    server = await startServer(
      site.inst,
      { host: '127.0.0.1', port: 0 },
      { log: () => {}, web: loadWebConfig(site.inst, { demoMode: true, env: {} }) },
    );
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await site?.cleanup();
  });

  test('is not decided for either: the page lists both, and each link decides for one', async () => {
    const { page } = await signIn(browser, server.url, 'ops', 'auditor');
    const res = await page.goto('/site/gate/alma9');
    assert.equal(res?.status(), 409);
    const links = page.getByTestId('gate-ambiguous').locator('li a');
    assert.deepEqual(await links.allTextContents(), ['alpha/alma9', 'beta/alma9']);
    assert.equal(
      await page.getByTestId('gate-verdict').count(),
      0,
      'no verdict for a shadowed name',
    );
    await screenshot(page, 'site-gate-ambiguous');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'site-gate-ambiguous-phone');
    await page.setViewportSize({ width: 1366, height: 900 });

    await Promise.all([
      page.waitForURL('**/site/gate/alma9?subscription=beta'),
      links.nth(1).click(),
    ]);
    assert.match((await page.getByTestId('gate-decision').textContent()) ?? '', /beta/);
    assert.match(
      (await page.getByTestId('gate-decision').textContent()) ?? '',
      new RegExp(site.y.sha256),
    );
    // The name that only one subscription lists is decided directly.
    const single = await page.goto('/site/gate/alma9-latest');
    assert.equal(single?.status(), 200);
    assert.equal(await page.getByTestId('gate-verdict').count(), 1);
  });
});
