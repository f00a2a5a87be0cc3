import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { derToPem } from '../../../pki/index.ts';
import {
  FIXTURE_TIME,
  NAMES,
  crlOf,
  scenario,
  type Scenario,
} from '../../fixtures/pki-fixtures.ts';
import { signedCatalog, startFeedServer } from '../../catalog/site/helpers/signed-feed.ts';
import {
  randomImage,
  startImageServer,
  type ImageServer,
} from '../../catalog/site/helpers/image-server.ts';
import {
  get,
  launchBrowser,
  post,
  screenshot,
  signIn,
  startPagesServer,
  type PagesServer,
  type PageElement,
} from './helpers.ts';
import * as sel from './selectors.ts';

const DAY = 86400_000;
const at = (days: number) => new Date(FIXTURE_TIME.getTime() + days * DAY);

async function codesIn(page: Page, list: string): Promise<string[]> {
  return (
    await page
      .locator(`${list} li[data-code]`)
      .evaluateAll((els: PageElement[]) => els.map((e) => e.getAttribute('data-code')))
  ).map(String);
}

describe('web admin: site pages in a real browser', () => {
  let s: PagesServer;
  let browser: Browser;
  let pki: Scenario;
  let feed: Awaited<ReturnType<typeof startFeedServer>>;
  let images: ImageServer;
  let admin: Page;
  const img = randomImage(96 * 1024);

  before(async () => {
    pki = await scenario();
    feed = await startFeedServer();
    images = await startImageServer();
    images.serve('/alma.qcow2', img.bytes);
    s = await startPagesServer({ now: () => FIXTURE_TIME, publicUrl: 'http://site.test' });
    browser = await launchBrowser();
    ({ page: admin } = await signIn(browser, s.url, 'ada', 'admin'));
  });
  after(async () => {
    await browser.close();
    await s.close();
    await images.close();
    await feed.stop();
    assert.deepEqual(s.logs, []);
  });

  test('trust store: add PEM, see anchors and CRLs, a CRL near nextUpdate is flagged', async () => {
    const pem =
      [pki.root.certificate, pki.intermediate.certificate]
        .map((c) => derToPem(c, 'CERTIFICATE'))
        .join('') +
      [
        await crlOf(pki.intermediate),
        await crlOf(pki.root, [], { thisUpdate: at(-1), nextUpdate: at(1) }),
      ]
        .map((c) => derToPem(c, 'X509 CRL'))
        .join('');
    await admin.goto('/site/trust');
    await admin.fill(sel.TRUST_PEM, pem);
    await Promise.all([admin.waitForURL('**/site/trust?*'), admin.click(sel.TRUST_SUBMIT)]);
    assert.match(
      (await admin.textContent(sel.TRUST_ADDED)) ?? '',
      /Added 1 anchor\(s\), 1 intermediate\(s\), 2 CRL\(s\)/,
    );
    assert.equal(await admin.locator(sel.TRUST_CERTIFICATE).count(), 2);
    assert.equal(await admin.locator(sel.TRUST_CRL).count(), 2);
    const warned = admin.locator(sel.TRUST_CRL).filter({ has: admin.locator(sel.CRL_WARNING) });
    assert.equal(await warned.count(), 1);
    assert.match((await warned.textContent()) ?? '', /Fixture Root CA/);
    await screenshot(admin, 'site-trust');
  });

  test('subscribe with a pinned DN; import now explains a failure, then applies', async () => {
    await admin.goto('/site/subscriptions');
    await admin.fill(sel.SUBSCRIBE_URL, feed.url);
    await admin.fill(sel.SUBSCRIBE_SUBJECT, NAMES.leaf);
    await admin.fill(sel.SUBSCRIBE_ISSUER, NAMES.intermediate);
    // A stand-in feed server, not a vmic instance: it runs no transparency log.
    assert.equal(await admin.inputValue(sel.SUBSCRIBE_LOG), 'require');
    await admin.selectOption(sel.SUBSCRIBE_LOG, 'off');
    await Promise.all([
      admin.waitForURL('**/site/subscriptions'),
      admin.click(sel.SUBSCRIBE_SUBMIT),
    ]);
    const row = admin.locator(sel.subscriptionRow('fx'));
    assert.equal(await row.count(), 1);
    assert.equal(await row.locator(sel.SUBSCRIPTION_LOG_POLICY).textContent(), 'off');

    feed.serve(undefined);
    await Promise.all([
      admin.waitForURL('**/site/subscriptions?*'),
      row.locator(sel.IMPORT_NOW).click(),
    ]);
    assert.match(
      (await admin.textContent(sel.IMPORT_NOTICE)) ?? '',
      /failed — FETCH_FAILED: The catalog could not be downloaded/,
    );
    assert.match(
      (await admin
        .locator(sel.subscriptionRow('fx'))
        .locator(sel.SUBSCRIPTION_ERROR)
        .textContent()) ?? '',
      /FETCH_FAILED.*could not be downloaded/s,
    );
    await screenshot(admin, 'site-subscriptions-failed');

    feed.serve(
      await signedCatalog({
        signer: pki.leaf,
        chain: [pki.intermediate.certificate],
        sequence: 1,
        issued: at(-1),
        expires: at(10),
        images: [
          {
            identifier: 'alma-9',
            title: 'AlmaLinux 9 <b>bold</b>',
            sha256: img.sha256,
            byteSize: img.bytes.length,
            downloadUrl: images.url('/alma.qcow2'),
          },
        ],
      }),
    );
    await Promise.all([
      admin.waitForURL('**/site/subscriptions?*'),
      admin.locator(sel.subscriptionRow('fx')).locator(sel.IMPORT_NOW).click(),
    ]);
    assert.match((await admin.textContent(sel.IMPORT_NOTICE)) ?? '', /Import of fx: applied/);
    assert.equal(
      await admin
        .locator(sel.subscriptionRow('fx'))
        .locator(sel.SUBSCRIPTION_SEQUENCE)
        .textContent(),
      '1',
    );
    // How old the newest verified catalog is, and the issuer pin learned on first use.
    const fx = admin.locator(sel.subscriptionRow('fx'));
    assert.match(
      (await fx.locator('[data-testid=subscription-age]').textContent()) ?? '',
      /1 d old/,
    );
    assert.match(
      (await fx.locator('[data-testid=subscription-issuer-pin]').textContent()) ?? '',
      /pinned on first use: .*CN=Fixture Intermediate CA.*key sha256:[0-9a-f]{64}/,
    );
    await screenshot(admin, 'site-subscriptions');
  });

  test('images: badges and every reason; fetch now; the gate page explains', async () => {
    await admin.goto('/site/images');
    const row = admin.locator(sel.siteImageRow('alma-9'));
    assert.equal(await row.locator(sel.BADGE_ENDORSED).textContent(), 'endorsed');
    assert.equal(await row.locator(sel.BADGE_APPROVED).textContent(), 'not approved');
    assert.equal(await row.locator(sel.BADGE_FETCHED).textContent(), 'not fetched');
    assert.equal(await row.locator(sel.BADGE_DEPLOYABLE).textContent(), 'not deployable');
    assert.deepEqual(await codesIn(admin, `${sel.siteImageRow('alma-9')} ${sel.REASONS}`), [
      'NOT_APPROVED',
      'NOT_FETCHED',
    ]);
    // A title from a foreign catalog is text.
    assert.equal(
      await row.locator('[data-testid="site-image-title"]').textContent(),
      'AlmaLinux 9 <b>bold</b>',
    );
    await screenshot(admin, 'site-images-imported');

    await Promise.all([admin.waitForURL('**/site/images?*'), admin.click(sel.FETCH_NOW)]);
    assert.match((await admin.textContent(sel.FETCH_NOTICE)) ?? '', /1 verified, 0 failed/);
    assert.equal(
      await admin.locator(sel.siteImageRow('alma-9')).locator(sel.BADGE_FETCHED).textContent(),
      'fetched',
    );

    await Promise.all([
      admin.waitForURL('**/site/gate/**'),
      admin.locator(sel.siteImageRow('alma-9')).locator(sel.GATE_LINK).click(),
    ]);
    assert.equal(await admin.textContent(sel.GATE_VERDICT), 'Not deployable');
    assert.deepEqual(await codesIn(admin, sel.GATE_REASONS), ['NOT_APPROVED']);
    await screenshot(admin, 'site-gate-not-deployable');
  });

  test('site approver approves: the image shows deployable; the approver cannot import or publish', async () => {
    const { page, dialogs } = await signIn(browser, s.url, 'sam', 'site-approver');
    await page.goto('/site/images');
    assert.equal(await page.locator(sel.FETCH_NOW).count(), 0);
    await Promise.all([
      page.waitForURL('**/site/images'),
      page.locator(sel.siteImageRow('alma-9')).locator(sel.APPROVE_IMAGE).click(),
    ]);
    const row = page.locator(sel.siteImageRow('alma-9'));
    assert.equal(await row.locator(sel.BADGE_APPROVED).textContent(), 'approved');
    assert.equal(await row.locator(sel.BADGE_DEPLOYABLE).textContent(), 'deployable');
    assert.equal(await row.locator(sel.REASONS).count(), 0);
    assert.equal(await row.locator(sel.UNAPPROVE_IMAGE).count(), 1);
    await screenshot(page, 'site-images-deployable');

    await page.goto('/site/gate/alma-9');
    assert.equal(await page.textContent(sel.GATE_VERDICT), 'Deployable');
    await screenshot(page, 'site-gate-deployable');

    // Server-side refusals, whatever the page shows.
    await page.goto('/site/subscriptions');
    assert.equal(await page.locator(sel.IMPORT_NOW).count(), 0);
    assert.equal((await post(page, '/site/subscriptions/fx/import', {})).status, 403);
    assert.equal((await post(page, '/site/fetch', {})).status, 403);
    assert.equal((await post(page, '/site/trust', { pem: 'x' })).status, 403);
    assert.equal(
      (await post(page, '/site/subscriptions', { url: feed.url, expectSubject: 'CN=x' })).status,
      403,
    );
    assert.equal((await post(page, '/endorsers/cern/publish', { expiresInDays: '7' })).status, 403);
    assert.equal(await get(page, '/endorsers/cern'), 403);
    assert.equal(await get(page, '/audit'), 403);
    // Without the CSRF token even the approver's own action is refused.
    assert.equal(
      (
        await post(
          page,
          '/site/approvals/revoke',
          { image: 'alma-9', subscription: 'fx' },
          { csrf: false },
        )
      ).status,
      403,
    );
    // Endorser-level approval and its revocation from the subscriptions page.
    await Promise.all([
      page.waitForURL('**/site/subscriptions'),
      page.locator(sel.subscriptionRow('fx')).locator(sel.APPROVE_ENDORSER).click(),
    ]);
    assert.equal(await page.locator('[data-testid="endorser-approved"]').count(), 1);
    assert.deepEqual(dialogs, []);
    await page.context().close();
  });

  test('auditor reads the site pages but gets no buttons and cannot approve', async () => {
    const { page } = await signIn(browser, s.url, 'aud', 'auditor');
    await page.goto('/site/images');
    assert.equal(
      (await page.locator(sel.APPROVE_IMAGE).count()) +
        (await page.locator(sel.UNAPPROVE_IMAGE).count()),
      0,
    );
    assert.equal(
      (await post(page, '/site/approvals', { image: 'alma-9', subscription: 'fx' })).status,
      403,
    );
    await page.goto('/site/trust');
    assert.equal(await page.locator(sel.TRUST_PEM).count(), 0);
    await page.goto('/audit');
    assert.match((await page.textContent(sel.AUDIT_CHAIN_OK)) ?? '', /verified/);
    await page.context().close();
  });
});
