import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { addImageFromStream, publishCatalog } from '../../../catalog/index.ts';
import { setPolicy } from '../../../catalog/site/policy.ts';
import { syntheticImage } from '../../../scripts/fixtures/published-endorser.ts';
import {
  HOUR,
  importedSubscription,
  startHealthFeeds,
  type HealthFeeds,
} from '../../catalog/site/helpers/health-site.ts';
import {
  launchBrowser,
  screenshot,
  signIn,
  startPagesServer,
  type PagesServer,
} from './helpers.ts';

// The home dashboard against a site built for real: a fresh subscription, one expiring
// within a day, one whose import was refused and one whose mirror served other bytes;
// and a hosted endorser with one change since its last publish.
let f: HealthFeeds;
let srv: PagesServer;
let browser: Browser;

before(async () => {
  f = await startHealthFeeds();
  const now = Math.floor(Date.now() / 1000) * 1000;
  srv = await startPagesServer({ endorsers: ['cern'], now: () => new Date(now) });
  const inst = srv.inst;
  await setPolicy(inst, 'max-catalog-age', String(14 * 86400), 'test');
  await importedSubscription(inst, f, 'alpha', {});
  await importedSubscription(inst, f, 'soon', { expiresInMs: 7 * HOUR });
  await importedSubscription(inst, f, 'impostor', { wrongSubject: true });
  await importedSubscription(inst, f, 'mirror', { mirrorLies: true });
  await importedSubscription(inst, f, 'pending', { fetch: false, approve: false });
  const image = (identifier: string) =>
    addImageFromStream(inst, {
      endorser: 'cern',
      identifier,
      metadata: { title: `Image ${identifier}`, arch: 'x86_64', format: 'qcow2' },
      actor: 'test',
      source: syntheticImage(`dash/${identifier}`, 4096),
    });
  await image('alma9');
  await publishCatalog(inst, { endorser: 'cern', actor: 'test' });
  await image('debian12');
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await srv?.close();
  await f?.stop();
});

const byTestId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);

async function subscriptionMarks(page: Page, name: string): Promise<string | null> {
  return byTestId(page, 'home-subscription')
    .and(page.locator(`[data-name="${name}"]`))
    .getAttribute('data-marks');
}

test('admin: each subscription with its marks and words, the counts with their links', async () => {
  const { page, dialogs } = await signIn(browser, srv.url, 'ada', 'admin');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/admin');
  assert.equal(await byTestId(page, 'home-verdict').getAttribute('data-verdict'), 'error');
  assert.equal(await subscriptionMarks(page, 'alpha'), '');
  assert.equal(await subscriptionMarks(page, 'soon'), 'near-expiry');
  assert.equal(await subscriptionMarks(page, 'impostor'), 'no-catalog refused');
  const alpha = page.locator('[data-testid="home-subscription"][data-name="alpha"]');
  assert.match(await alpha.innerText(), /verified now/);
  assert.match(await alpha.innerText(), /expires in 29 d/);
  assert.match(await alpha.innerText(), /Fresh/);
  const soon = page.locator('[data-testid="home-subscription"][data-name="soon"]');
  assert.match(
    await soon.locator('[data-testid="home-subscription-expiry"]').innerText(),
    /expires in 6 h/,
  );
  assert.match(await soon.innerText(), /Expires within a day/);
  const impostor = page.locator('[data-testid="home-subscription"][data-name="impostor"]');
  assert.match(
    await impostor.locator('[data-testid="home-subscription-import"]').innerText(),
    /Refused: The catalog was signed by someone other .* SUBJECT_MISMATCH/,
  );
  const counts: Record<string, [string, string]> = {
    'awaiting-approval': ['1', '/site/images?state=awaiting-approval'],
    quarantined: ['1', '/site/images?state=quarantined'],
    'not-fetched': ['1', '/site/images?state=not-fetched'],
    deployable: ['2', '/site/images?state=deployable'],
  };
  for (const [state, [n, href]] of Object.entries(counts)) {
    const link = byTestId(page, `home-count-${state}`);
    assert.equal(await link.getAttribute('href'), href);
    assert.equal(await link.locator('.dash-count').innerText(), n, state);
  }
  assert.match(await byTestId(page, 'home-cache').innerText(), /96 KiB in 2 images/);
  assert.equal(await byTestId(page, 'home-schedule').innerText(), 'not scheduled in this process');
  assert.equal(await byTestId(page, 'home-audit-entry').count(), 10);
  const chart = byTestId(page, 'home-age-chart');
  assert.equal(await chart.getAttribute('role'), 'img');
  assert.equal(await chart.locator('rect.dash-bar').count(), 4);
  const cern = page.locator('[data-testid="home-endorser-catalog"][data-name="cern"]');
  assert.match(
    await cern.locator('[data-testid="home-endorser-changes"]').innerText(),
    /^1 image changed/,
  );
  assert.equal(await byTestId(page, 'home-endorser-cern').getAttribute('href'), '/endorsers/cern');
  assert.equal(await byTestId(page, 'home-site-images').getAttribute('href'), '/site/images');
  await screenshot(page, 'dashboard-admin-1280');
  assert.deepEqual(dialogs, []);
  assert.deepEqual(srv.logs, []);
});

test('at 390 px the dashboard does not scroll sideways', async () => {
  const { page } = await signIn(browser, srv.url, 'ada', 'admin');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/admin');
  const [doc, win] = await page.evaluate<[number, number]>(
    '[document.documentElement.scrollWidth, window.innerWidth]',
  );
  assert.ok(doc <= win, `document ${doc} px wide in a ${win} px window`);
  await screenshot(page, 'dashboard-admin-390');
});

test('an endorser sees its own catalogs only; an approver no audit tail', async () => {
  const endorser = await signIn(browser, srv.url, 'eve', 'endorser:cern');
  await endorser.page.goto('/admin');
  assert.equal(await byTestId(endorser.page, 'home-endorser-catalog').count(), 1);
  assert.equal(await byTestId(endorser.page, 'home-subscriptions').count(), 0);
  assert.equal(await byTestId(endorser.page, 'home-audit-tail').count(), 0);
  await screenshot(endorser.page, 'dashboard-endorser');
  const approver = await signIn(browser, srv.url, 'sam', 'site-approver');
  await approver.page.goto('/admin');
  assert.equal(await byTestId(approver.page, 'home-subscription').count(), 5);
  assert.equal(await byTestId(approver.page, 'home-audit-tail').count(), 0);
  assert.equal(await byTestId(approver.page, 'home-endorser-catalog').count(), 0);
});
