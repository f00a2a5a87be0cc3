import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { addEndorser } from '../../../catalog/index.ts';
import { setSiteIdentity } from '../../../catalog/migration/site-identity.ts';
import { buildDemoHierarchy } from '../../../pki/index.ts';
import { expiringIdentity } from '../../helpers/expiring-identity.ts';
import {
  launchBrowser,
  screenshot,
  signIn,
  startPagesServer,
  type PageElement,
  type PagesServer,
} from './helpers.ts';

// Issue 18, rotation: the web admin shows each identity's certificate expiry, warns 30 days
// ahead and marks an expired one as an error, on the endorser page, the migrations page
// (the site identity) and the dashboard. The clock is the instance's, moved by the test.

const DAY = 86400_000;
let clock = Math.floor(Date.now() / 1000) * 1000;
let s: PagesServer;
let browser: Browser;
let soonNotAfter: Date;

before(async () => {
  s = await startPagesServer({ endorsers: ['cern'], now: () => new Date(clock) });
  const h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  const soon = await expiringIdentity(h, 10);
  soonNotAfter = soon.notAfter;
  await addEndorser(s.inst, { name: 'soon', title: 'Endorser soon', ...soon, actor: 'test' });
  await setSiteIdentity(s.inst, {
    ...(await expiringIdentity(h, 20, 'CN=Site A,O=vmic test,C=CH')),
    actor: 'test',
  });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await s?.close();
  assert.deepEqual(s.logs, []);
});

const byTestId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

/** The certificates the dashboard lists, as `kind:name`. */
const listedCertificates = (page: Page) =>
  byTestId(page, 'home-certificate').evaluateAll((els: PageElement[]) =>
    els.map((e) => `${e.getAttribute('data-kind')}:${e.getAttribute('data-name')}`),
  );

test('the endorser page shows the expiry date and a warning badge within 30 days', async () => {
  const { page, dialogs } = await signIn(browser, s.url, 'ada', 'admin');
  await page.goto('/endorsers/soon');
  const expiry = byTestId(page, 'cert-expiry');
  assert.equal(await expiry.getAttribute('data-level'), 'warning');
  assert.match(
    (await expiry.textContent()) ?? '',
    new RegExp(
      `^certificate valid until ${soonNotAfter.toISOString().slice(0, 10)} \\(in (9|10) d( \\d+ h)?\\)$`,
    ),
  );
  assert.equal(
    await expiry.locator('time').first().getAttribute('datetime'),
    soonNotAfter.toISOString(),
  );
  const badge = byTestId(page, 'cert-badge');
  assert.equal(await badge.getAttribute('data-level'), 'warning');
  assert.equal(await badge.getAttribute('class'), 'badge warn');
  assert.equal((await badge.textContent())?.trim(), '! Certificate expires within 30 days');
  assert.match(
    (await byTestId(page, 'cert-renew').textContent()) ?? '',
    /vmic endorser rotate soon --cert NEW\.pem/,
  );
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    const [doc, win] = await page.evaluate<[number, number]>(
      '[document.documentElement.scrollWidth, window.innerWidth]',
    );
    assert.ok(doc <= win, `document ${doc} px wide in a ${win} px window`);
    await screenshot(page, `endorser-certificate-warning-${width}`);
  }

  // A certificate a year from its end: the date, and no badge.
  await page.goto('/endorsers/cern');
  assert.equal(await byTestId(page, 'cert-expiry').getAttribute('data-level'), 'ok');
  assert.equal(await byTestId(page, 'cert-badge').count(), 0);
  assert.equal(await byTestId(page, 'cert-renew').count(), 0);
  assert.deepEqual(dialogs, []);
});

test('the dashboard lists the certificates and the problems; the migrations page the site identity', async () => {
  const { page } = await signIn(browser, s.url, 'ada', 'admin');
  await page.goto('/admin');
  const problems = (await byTestId(page, 'home-problems').textContent()) ?? '';
  assert.match(problems, /warning: endorser soon's certificate expires in (9 d \d+ h|10 d) \(/);
  assert.match(problems, /warning: the site certificate expires in (19 d \d+ h|20 d) \(/);
  assert.doesNotMatch(problems, /endorser cern's certificate/);
  assert.deepEqual(await listedCertificates(page), ['endorser:cern', 'endorser:soon', 'site:site']);
  assert.equal(
    await page
      .locator('[data-testid="home-certificate"][data-name="soon"] [data-testid="cert-badge"]')
      .getAttribute('data-level'),
    'warning',
  );
  await page.setViewportSize({ width: 390, height: 844 });
  const [doc, win] = await page.evaluate<[number, number]>(
    '[document.documentElement.scrollWidth, window.innerWidth]',
  );
  assert.ok(doc <= win, `document ${doc} px wide in a ${win} px window`);
  await screenshot(page, 'dashboard-certificates-390');

  await page.goto('/site/migrations');
  const site = byTestId(page, 'site-identity');
  assert.match((await site.textContent()) ?? '', /Site identity CN=Site A,O=vmic test,C=CH/);
  assert.equal(
    await site.locator('[data-testid="cert-badge"]').getAttribute('data-level'),
    'warning',
  );
  assert.match(
    (await site.locator('[data-testid="cert-renew"]').textContent()) ?? '',
    /vmic site identity set --cert NEW\.pem/,
  );
});

test('an endorser sees only its own certificate on the dashboard', async () => {
  const { page } = await signIn(browser, s.url, 'eve', 'endorser:cern');
  await page.goto('/admin');
  assert.deepEqual(await listedCertificates(page), ['endorser:cern']);
  // Its own catalog's problem, and nothing of the certificates it may not see.
  assert.doesNotMatch((await byTestId(page, 'home-problems').textContent()) ?? '', /certificate/);
});

test('once expired: an error badge and an error on the dashboard', async () => {
  clock += 11 * DAY;
  const { page } = await signIn(browser, s.url, 'ada', 'admin');
  await page.goto('/endorsers/soon');
  const badge = byTestId(page, 'cert-badge');
  assert.equal(await badge.getAttribute('data-level'), 'error');
  assert.equal(await badge.getAttribute('class'), 'badge no');
  assert.match((await byTestId(page, 'cert-expiry').textContent()) ?? '', /^certificate expired /);
  assert.match(
    (await byTestId(page, 'cert-renew').textContent()) ?? '',
    /^Nothing signed with this certificate is accepted any more\./,
  );
  await page.setViewportSize({ width: 1280, height: 900 });
  await screenshot(page, 'endorser-certificate-expired-1280');
  await page.goto('/admin');
  assert.equal(await byTestId(page, 'home-verdict').getAttribute('data-verdict'), 'error');
  assert.match(
    (await byTestId(page, 'home-problems').textContent()) ?? '',
    /error: endorser soon's certificate expired (1 d|\d+ h( \d+ min)?) ago \(\d{4}-\d\d-\d\d\): no site accepts a catalog it signs; vmic endorser rotate soon/,
  );
});
