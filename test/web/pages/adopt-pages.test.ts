import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { buildDemoHierarchy, derToPem } from '../../../pki/index.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { fetchImages } from '../../../catalog/site/fetch-images.ts';
import { approveImage } from '../../../catalog/site/approvals.ts';
import {
  addPublishedEndorser,
  demoEndorserIdentity,
} from '../../../scripts/fixtures/published-endorser.ts';
import {
  ENDORSER_SUBJECT,
  removeDirs,
  serve,
  tempDir,
  type Served,
} from '../../integration/helpers/log-instances.ts';
import { launchBrowser, post, screenshot, signIn, startPagesServer } from './helpers.ts';
import type { PagesServer } from './helpers.ts';

/*
 * "Adopt" on the Site images page (issue 19): this instance is a site of endorser A and
 * an endorser (`desy`) itself. A deployable image offers "Adopt into desy" to an admin;
 * the image then is in desy's catalog with its provenance. A site-approver sees no button,
 * and an endorser role alone is refused by the server.
 */
describe('web: adopting an imported image', () => {
  let a: Served;
  let s: PagesServer;
  let browser: Browser;

  before(async () => {
    const h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
    a = await serve(tempDir('adopt-web-a'));
    await addPublishedEndorser(a.inst, {
      name: 'cern',
      identity: await demoEndorserIdentity(h),
      images: {
        synthetic: [
          {
            identifier: 'alma9',
            metadata: { title: 'AlmaLinux 9 with a rather long title for a phone' },
            size: 4096,
          },
          { identifier: 'debian12', metadata: { title: 'Debian 12' }, size: 4096 },
        ],
      },
      actor: 'test',
    });
    s = await startPagesServer({ endorsers: ['desy'] });
    const trust =
      [h.root.certificate, h.intermediate.certificate]
        .map((c) => derToPem(c, 'CERTIFICATE'))
        .join('') + [h.crl, h.rootCrl].map((c) => derToPem(c, 'X509 CRL')).join('');
    await addTrustMaterial(s.inst, trust, 'test');
    await subscribe(s.inst, {
      url: `${a.url}/feeds/cern/`,
      expectSubject: ENDORSER_SUBJECT,
      actor: 'test',
    });
    const [r] = await runImport(s.inst, { subscription: 'cern', actor: 'test' });
    assert.equal(r?.status, 'applied', r?.message);
    await fetchImages(s.inst, { subscription: 'cern', actor: 'test' });
    await approveImage(s.inst, { image: 'alma9', subscription: 'cern', actor: 'ops' });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
    await a?.close();
    removeDirs(a.dir);
    assert.deepEqual(s.logs, []);
  });

  const adoptButtons = (page: Page) =>
    page.locator('[data-testid="site-image-row"] [data-testid="adopt-image"]');

  test('an admin adopts the deployable image; the undeployable one offers no button', async () => {
    const { page } = await signIn(browser, s.url, 'ada', 'admin');
    await page.goto('/site/images');
    const row = (id: string) =>
      page.locator(`[data-testid="site-image-row"][data-identifier="${id}"]`);
    assert.equal(await row('alma9').locator('[data-testid="adopt-image"]').count(), 1);
    assert.equal(await row('debian12').locator('[data-testid="adopt-image"]').count(), 0);
    assert.match((await adoptButtons(page).first().textContent()) ?? '', /Adopt into desy/);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const [doc, win] = await page.evaluate<[number, number]>(
        '[document.documentElement.scrollWidth, window.innerWidth]',
      );
      assert.ok(doc <= win, `document ${doc} px wide in a ${win} px window`);
      await screenshot(page, `adopt-site-images-${width}`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    await Promise.all([
      page.waitForURL('**/endorsers/desy?adopted=alma9'),
      adoptButtons(page).first().click(),
    ]);
    assert.match(
      (await page.locator('[data-testid="adopted-notice"]').textContent()) ?? '',
      /Adopted alma9/,
    );
    assert.match(
      (await page.locator('[data-testid="image-derived"]').textContent()) ?? '',
      /derived from CN=vmic Demo Endorser.*catalog 1/,
    );
    await screenshot(page, 'adopt-endorser-page-1280');
    const held = await s.inst.store.db
      .selectFrom('images')
      .select(['identifier', 'derived_from', 'download_url'])
      .execute();
    assert.equal(held.length, 1);
    assert.equal(held[0]?.identifier, 'alma9');
    assert.equal(held[0]?.download_url, null, 'the bytes are held here');
    assert.match(held[0]?.derived_from ?? '', new RegExp(`${a.url}/feeds/cern/catalog`));
  });

  test('a site-approver sees no button, and an endorser role alone is refused', async () => {
    const { page: approver } = await signIn(browser, s.url, 'sam', 'site-approver');
    await approver.goto('/site/images');
    assert.equal(await adoptButtons(approver).count(), 0);
    const { page: endorser } = await signIn(browser, s.url, 'eve', 'endorser:desy');
    const refused = await post(endorser, '/site/images/adopt', {
      image: 'alma9',
      subscription: 'cern',
      endorser: 'desy',
    });
    assert.equal(refused.status, 403);
  });
});
