import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { startServer, type RunningServer } from '../../../server/index.ts';
import { loadWebConfig } from '../../../server/web/index.ts';
import { setPolicy } from '../../../catalog/site/policy.ts';
import { inventorySites, type InventorySites } from '../../catalog/site/inventory/served-sboms.ts';
import { launchBrowser, screenshot, signIn, type PageElement } from './helpers.ts';

describe('web: the site inventory search', () => {
  let s: InventorySites;
  let server: RunningServer;
  let browser: Browser;
  before(async () => {
    s = await inventorySites();
    server = await startServer(
      s.site.inst,
      { host: '127.0.0.1', port: 0 },
      { log: () => {}, web: loadWebConfig(s.site.inst, { demoMode: true, env: {} }) },
    );
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await s?.close();
  });

  test('a reader searches by name and version; denied images show PACKAGE_DENIED', async () => {
    const { page, dialogs } = await signIn(browser, server.url, 'ops', 'auditor');
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.getByRole('link', { name: 'Inventory' }).click();
    await page.waitForURL('**/site/inventory');
    await page.getByTestId('inventory-name').fill('pkg:deb/debian/openssl');
    await page.getByTestId('inventory-version').fill('>=3.0.0,<3.0.13');
    await Promise.all([
      page.waitForURL('**/site/inventory?**'),
      page.getByTestId('inventory-search').click(),
    ]);
    const rows = page.getByTestId('inventory-row');
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.first().getAttribute('data-identifier'), 'debian12');
    assert.match(
      (await page.getByTestId('inventory-package').first().textContent()) ?? '',
      /openssl@3\.0\.11-1~deb12u2/,
    );
    assert.equal(
      (await page.getByTestId('inventory-deployable').textContent())?.trim(),
      'deployable',
    );
    await screenshot(page, 'site-inventory');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'site-inventory-phone');
    const wide = await page.evaluate(
      'document.documentElement.scrollWidth > document.documentElement.clientWidth',
    );
    assert.equal(wide, false, 'no sideways scroll at 390 px');
    await page.setViewportSize({ width: 1280, height: 900 });

    // Under a deny rule the image is left out, and shown with --all as refused.
    await setPolicy(s.site.inst, 'deny-package', 'pkg:deb/debian/openssl@<3.0.13', 'test');
    await page.goto('/site/inventory?name=openssl&version=3.0.x');
    assert.equal(await page.getByTestId('inventory-row').count(), 0);
    assert.equal(await page.getByTestId('inventory-none').count(), 1);
    await page.goto('/site/inventory?name=openssl&version=3.0.x&all=true');
    const codes = await page
      .locator('[data-testid=inventory-row] li[data-code]')
      .evaluateAll((els: PageElement[]) => els.map((e) => e.getAttribute('data-code')));
    assert.ok(codes.includes('PACKAGE_DENIED'), codes.join(','));
    await screenshot(page, 'site-inventory-denied');
    // The gate page explains it with the package and the rule.
    await page.goto('/site/gate/debian12?subscription=cern');
    const gate = (await page.getByTestId('gate-reasons').textContent()) ?? '';
    assert.match(gate, /PACKAGE_DENIED/);
    assert.match(
      gate,
      /pkg:deb\/debian\/openssl@3\.0\.11-1~deb12u2.*denied by deny-package pkg:deb\/debian\/openssl@<3\.0\.13/s,
    );
    await screenshot(page, 'site-gate-package-denied');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'site-gate-package-denied-phone');
    await setPolicy(s.site.inst, 'deny-package', undefined, 'test');

    // A malformed constraint is shown on the form, not as an error page.
    const res = await page.goto('/site/inventory?name=openssl&version=%3C');
    assert.equal(res?.status(), 200);
    assert.match((await page.getByTestId('inventory-problem').textContent()) ?? '', /expected/);
    assert.deepEqual(dialogs, []);
  });
});
