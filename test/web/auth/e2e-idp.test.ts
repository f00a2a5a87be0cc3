import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ensureDemo, ensureDemoSite } from '../../../scripts/demo/demo-instance.ts';
import * as sel from '../pages/selectors.ts';
import {
  launchChromium,
  screenshot,
  signInThroughIdp,
  startWebServer,
  type WebServer,
} from './web-server.ts';
import type { IdpUser } from './idp.ts';

/*
 * Issue 4, end to end, every user signed in through the real IdP: an endorser uploads
 * and publishes; the instance (a site subscribed to its own feeds, as `vmic demo` sets
 * up) imports; a site approver approves; the image is deployable.
 */

let server: WebServer;
let browser: Browser;

before(async () => {
  server = await startWebServer({ prepare: async (inst) => void (await ensureDemo(inst)) });
  const demo = await ensureDemo(server.inst);
  await ensureDemoSite(server.inst, demo);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function as(user: IdpUser, shots: string): Promise<Page> {
  const context = await browser.newContext({ baseURL: server.url });
  const page = await context.newPage();
  await signInThroughIdp(page, server, user, shots);
  return page;
}

test('endorser uploads and publishes; approver approves; the image is deployable', async () => {
  const bytes = crypto.randomBytes(128 * 1024);
  const digest = crypto.createHash('sha256').update(bytes).digest('hex');
  const before = (await (await fetch(`${server.url}/feeds/demo-rsa/`)).json()) as {
    versions: { sequence: number }[];
  };
  const last = Math.max(...before.versions.map((v) => v.sequence));

  // Endorser (endorser:demo-rsa from eduPersonEntitlement): upload, then publish.
  const endorser = await as('endorser1', 'e2e-endorser1');
  await endorser.goto('/endorsers/demo-rsa');
  await endorser.fill(sel.UPLOAD_TITLE, 'E2E test image');
  await endorser.fill('[data-testid="up-arch"]', 'x86_64');
  await endorser.fill('[data-testid="up-format"]', 'raw');
  await endorser.fill('[data-testid="up-identifier"]', 'e2e-image');
  await endorser.setInputFiles(sel.UPLOAD_FILE, {
    name: 'e2e.raw',
    mimeType: 'application/octet-stream',
    buffer: bytes,
  });
  await endorser.click(sel.UPLOAD_SUBMIT);
  await endorser
    .locator(sel.UPLOAD_SHA256)
    .filter({ hasText: /[0-9a-f]{64}/ })
    .waitFor();
  assert.equal(await endorser.textContent(sel.UPLOAD_SHA256), digest);
  assert.equal(await endorser.textContent(sel.UPLOAD_PERCENT), '100%');
  await screenshot(endorser, 'e2e-endorser1-4-uploaded');
  await endorser.goto('/endorsers/demo-rsa');
  await Promise.all([
    endorser.waitForURL('**/endorsers/demo-rsa/publish'),
    endorser.click(sel.PUBLISH_LINK),
  ]);
  assert.equal(await endorser.textContent(sel.NEXT_SEQUENCE), String(last + 1));
  await screenshot(endorser, 'e2e-endorser1-5-preview');
  await Promise.all([
    endorser.waitForURL(`**/endorsers/demo-rsa?published=${last + 1}`),
    endorser.click(sel.PUBLISH_SUBMIT),
  ]);
  await screenshot(endorser, 'e2e-endorser1-6-published');
  const feed = (await (await fetch(`${server.url}/feeds/demo-rsa/`)).json()) as {
    versions: { sequence: number }[];
  };
  assert.ok(
    feed.versions.some((v) => v.sequence === last + 1),
    JSON.stringify(feed),
  );
  await endorser.context().close();

  // Import and fetch: the pages reserve them to admin (an approver only approves).
  const admin = await as('admin1', 'e2e-admin1');
  await admin.goto('/site/subscriptions');
  await Promise.all([
    admin.waitForURL('**/site/subscriptions?*'),
    admin.locator(sel.subscriptionRow('demo-rsa')).locator(sel.IMPORT_NOW).click(),
  ]);
  assert.match(
    (await admin
      .locator(sel.subscriptionRow('demo-rsa'))
      .locator(sel.SUBSCRIPTION_SEQUENCE)
      .textContent()) ?? '',
    new RegExp(String(last + 1)),
  );
  await screenshot(admin, 'e2e-admin1-4-imported');
  await admin.goto('/site/images');
  await Promise.all([admin.waitForURL('**/site/images?*'), admin.click(sel.FETCH_NOW)]);
  await screenshot(admin, 'e2e-admin1-5-fetched');
  await admin.context().close();

  // Site approver (site-approver from eduPersonEntitlement): approve, then deployable.
  const approver = await as('approver1', 'e2e-approver1');
  await approver.goto('/site/images');
  const row = approver.locator(sel.siteImageRow('e2e-image'));
  assert.equal(await row.count(), 1);
  await Promise.all([
    approver.waitForURL('**/site/images*'),
    row.locator(sel.APPROVE_IMAGE).click(),
  ]);
  await approver.locator(sel.siteImageRow('e2e-image')).locator(sel.BADGE_DEPLOYABLE).waitFor();
  await screenshot(approver, 'e2e-approver1-4-approved');
  await approver.goto('/site/gate/e2e-image');
  assert.equal(await approver.textContent(sel.GATE_VERDICT), 'Deployable');
  await screenshot(approver, 'e2e-approver1-5-deployable');
  await approver.context().close();
  assert.deepEqual(server.logs, []);
});
