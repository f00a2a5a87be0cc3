import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { registerImageByUrl } from '../../../catalog/index.ts';
import {
  csrfOf,
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

const XSS_TITLE = '<script>alert(1)</script>';

/** Every POST form on the page carries the session's CSRF token. */
async function assertFormsCarryCsrf(page: Page): Promise<void> {
  const token = await csrfOf(page);
  const forms = page.locator('form[method="post"]');
  const n = await forms.count();
  assert.ok(n > 0);
  for (let i = 0; i < n; i++) {
    const value = await forms.nth(i).locator('input[name="_csrf"]').getAttribute('value');
    assert.equal(value, token, `form ${i} on ${page.url()}`);
  }
}

describe('web admin: endorser pages in a real browser', () => {
  let s: PagesServer;
  let browser: Browser;
  let page: Page;
  let dialogs: string[];
  const bytes = crypto.randomBytes(300 * 1024);
  const digest = crypto.createHash('sha256').update(bytes).digest('hex');

  before(async () => {
    s = await startPagesServer({ endorsers: ['cern', 'other'] });
    browser = await launchBrowser();
    ({ page, dialogs } = await signIn(browser, s.url, 'erin', 'endorser:cern'));
  });
  after(async () => {
    await browser.close();
    await s.close();
    assert.deepEqual(s.logs, []);
  });

  test('home and layout show the user, the roles and only the endorser links', async () => {
    await page.goto('/admin');
    assert.equal(await page.textContent(sel.USER), 'dev:erin');
    assert.equal((await page.textContent(sel.ROLES))?.trim(), 'endorser:cern');
    assert.equal(await page.locator(`${sel.NAV} a[href="/endorsers/cern"]`).count(), 1);
    assert.equal(await page.locator(`${sel.NAV} a[href="/site/images"]`).count(), 0);
    assert.equal(await page.locator(`${sel.NAV} a[href="/endorsers/other"]`).count(), 0);
    await screenshot(page, 'home-endorser');
  });

  test('upload with a progress bar: 100%, then the SHA-256 of the bytes', async () => {
    await page.goto('/endorsers/cern');
    await assertFormsCarryCsrf(page);
    await page.fill(sel.UPLOAD_TITLE, 'AlmaLinux 9');
    await page.fill('[data-testid="up-arch"]', 'x86_64');
    await page.fill('[data-testid="up-format"]', 'qcow2');
    await page.fill('[data-testid="up-identifier"]', 'alma-9');
    await page.setInputFiles(sel.UPLOAD_FILE, {
      name: 'alma.qcow2',
      mimeType: 'application/octet-stream',
      buffer: bytes,
    });
    await page.click(sel.UPLOAD_SUBMIT);
    await page
      .locator(sel.UPLOAD_SHA256)
      .filter({ hasText: /[0-9a-f]{64}/ })
      .waitFor();
    assert.equal(await page.textContent(sel.UPLOAD_SHA256), digest);
    assert.equal(
      await page
        .locator(sel.UPLOAD_PROGRESS)
        .evaluate((p) => (p as unknown as { value: number }).value),
      100,
    );
    assert.equal(await page.textContent(sel.UPLOAD_PERCENT), '100%');
    assert.equal(await page.isVisible(sel.UPLOAD_ERROR), false);
    await screenshot(page, 'endorser-upload-done');

    await page.goto('/endorsers/cern');
    const row = page.locator(sel.imageRow('alma-9'));
    assert.equal(await row.locator(sel.IMAGE_STATUS).textContent(), 'endorsed');
    assert.match((await row.textContent()) ?? '', new RegExp(digest));
  });

  test('register by URL; a title with <script> is shown as text and never runs', async () => {
    await page.goto('/endorsers/cern');
    await page.fill(sel.REGISTER_TITLE, XSS_TITLE);
    await page.fill(sel.REGISTER_URL, 'https://mirror.example/x.img');
    await page.fill(sel.REGISTER_SHA256, 'ab'.repeat(32));
    await page.fill(sel.REGISTER_SIZE, '1234');
    await page.fill('[data-testid="reg-identifier"]', 'xss');
    await Promise.all([
      page.waitForURL('**/images/xss?saved=registered'),
      page.click(sel.REGISTER_SUBMIT),
    ]);
    assert.equal(await page.textContent(sel.PAGE_TITLE), XSS_TITLE);
    await page.goto('/endorsers/cern');
    const title = page.locator(sel.imageRow('xss')).locator(sel.IMAGE_TITLE);
    assert.equal(await title.textContent(), XSS_TITLE);
    assert.ok(await title.isVisible());
    assert.equal(await page.locator('main script').count(), 0);
    assert.deepEqual(dialogs, []);
    await screenshot(page, 'endorser-images');
  });

  test('publish with a preview; the new sequence appears in the feed and the history', async () => {
    await page.goto('/endorsers/cern');
    await Promise.all([page.waitForURL('**/endorsers/cern/publish'), page.click(sel.PUBLISH_LINK)]);
    assert.equal(await page.textContent(sel.NEXT_SEQUENCE), '1');
    const added = await page
      .locator(`${sel.PREVIEW_ADDED} li[data-identifier]`)
      .evaluateAll((els: PageElement[]) => els.map((e) => e.getAttribute('data-identifier')));
    assert.deepEqual(added.sort(), ['alma-9', 'xss']);
    await screenshot(page, 'endorser-publish-preview');
    await page.fill(sel.PUBLISH_EXPIRY, '7');
    await Promise.all([
      page.waitForURL('**/endorsers/cern?published=1'),
      page.click(sel.PUBLISH_SUBMIT),
    ]);
    assert.match((await page.textContent(sel.PUBLISHED_NOTICE)) ?? '', /sequence 1/);
    const links = await page
      .locator(sel.versionRow(1))
      .locator(sel.FEED_FILE)
      .evaluateAll((els: PageElement[]) => els.map((e) => e.getAttribute('href')));
    assert.deepEqual(links, [
      '/feeds/cern/1/catalog.p7m',
      '/feeds/cern/1/catalog.nq',
      '/feeds/cern/1/catalog.p7s',
      '/feeds/cern/1/catalog.ttl',
      '/feeds/cern/1/catalog.jsonld',
    ]);
    for (const href of links) assert.equal((await fetch(`${s.url}${href}`)).status, 200, href);
    const index = (await (await fetch(`${s.url}/feeds/cern/`)).json()) as {
      versions: { sequence: number; imageCount: number }[];
    };
    assert.deepEqual(
      index.versions.map((v) => [v.sequence, v.imageCount]),
      [[1, 2]],
    );
    await screenshot(page, 'endorser-history');
  });

  test('edit metadata and withdraw: the preview names the changed and the withdrawn image', async () => {
    await page.goto('/endorsers/cern/images/alma-9');
    await assertFormsCarryCsrf(page);
    await page.fill('[data-testid="edit-title"]', 'AlmaLinux 9.4');
    await page.fill('[data-testid="edit-osVersion"]', '9.4');
    await Promise.all([
      page.waitForURL('**/images/alma-9?saved=metadata'),
      page.click(sel.EDIT_SUBMIT),
    ]);
    await screenshot(page, 'endorser-image-edit');
    await page.goto('/endorsers/cern/images/xss');
    await Promise.all([
      page.waitForURL('**/images/xss?saved=withdrawn'),
      page.click(sel.WITHDRAW_SUBMIT),
    ]);
    assert.equal(await page.textContent(sel.IMAGE_STATUS), 'withdrawn');

    await page.goto('/endorsers/cern/publish');
    assert.equal(await page.textContent(sel.NEXT_SEQUENCE), '2');
    assert.equal(await page.locator(`${sel.PREVIEW_ADDED} li[data-identifier]`).count(), 0);
    const changed = page.locator(`${sel.PREVIEW_CHANGED} li[data-identifier="alma-9"]`);
    assert.match((await changed.textContent()) ?? '', /title, osVersion/);
    assert.equal(
      await page.locator(`${sel.PREVIEW_WITHDRAWN} li[data-identifier="xss"]`).count(),
      1,
    );
    await screenshot(page, 'endorser-publish-preview-changes');
    await Promise.all([
      page.waitForURL('**/endorsers/cern?published=2'),
      page.click(sel.PUBLISH_SUBMIT),
    ]);
    assert.equal(await page.locator(sel.VERSION_ROW).count(), 2);
    assert.deepEqual(dialogs, []);
  });

  test('refusals: another endorser, site approvals, no CSRF token, anonymous', async () => {
    // Endorser A cannot see or touch endorser B, by page or by direct request.
    await page.goto('/endorsers/other');
    assert.equal(await page.textContent(sel.ERROR_STATUS), '403');
    await screenshot(page, 'forbidden');
    assert.equal(await get(page, '/endorsers/other'), 403);
    assert.equal(await get(page, '/endorsers/other/publish'), 403);
    assert.equal(
      (await post(page, '/endorsers/other/publish', { expiresInDays: '7' })).status,
      403,
    );
    assert.equal(
      (
        await post(page, '/endorsers/other/images/register', {
          title: 'x',
          url: 'https://x.example/',
          sha256: 'ab'.repeat(32),
          size: '1',
        })
      ).status,
      403,
    );
    // An endorser cannot approve, nor read site pages or the audit log.
    assert.equal((await post(page, '/site/approvals', { endorser: 'fx' })).status, 403);
    assert.equal((await post(page, '/site/approvals', { image: 'alma-9' })).status, 403);
    assert.equal(await get(page, '/site/images'), 403);
    assert.equal(await get(page, '/audit'), 403);
    // A form post without the CSRF token is refused, and nothing was published.
    assert.equal(
      (await post(page, '/endorsers/cern/publish', { expiresInDays: '7' }, { csrf: false })).status,
      403,
    );
    assert.equal(
      (await post(page, '/endorsers/cern/images/alma-9/withdraw', {}, { csrf: false })).status,
      403,
    );
    const index = (await (await fetch(`${s.url}/feeds/cern/`)).json()) as { versions: unknown[] };
    assert.equal(index.versions.length, 2);
    // Anonymous: to the sign-in page.
    const anon = await fetch(`${s.url}/endorsers/cern`, { redirect: 'manual' });
    assert.equal(anon.status, 303);
    assert.match(anon.headers.get('location') ?? '', /^\/login\?next=/);
    const anonPost = await fetch(`${s.url}/endorsers/cern/publish`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'expiresInDays=7',
    });
    assert.equal(anonPost.status, 303);
    // Existing routes are untouched.
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${s.url}/api/v1/endorsers`)).status, 401);
  });

  test('auditor: chain verified at the top, the log filtered and paginated', async () => {
    const auditor = await signIn(browser, s.url, 'audrey', 'auditor');
    const p = auditor.page;
    await p.goto('/audit');
    assert.match((await p.textContent(sel.AUDIT_CHAIN_OK)) ?? '', /Hash chain verified/);
    assert.match(
      (await p.textContent(sel.AUDIT_LOG_OK)) ?? '',
      /^Transparency log agrees: \d+ entries logged\.$/,
    );
    assert.match(
      (await p.textContent(`${sel.AUDIT_CHECKPOINT} summary`)) ?? '',
      /^Checkpoint \d+ of \S+, root \S+, cosigned by 0 witnesses$/,
    );
    assert.ok((await p.locator(sel.AUDIT_ENTRY).count()) > 4);
    await screenshot(p, 'audit');
    await p.selectOption(sel.AUDIT_ACTION, 'catalog.published');
    await p.fill(sel.AUDIT_ACTOR, 'dev:erin');
    await Promise.all([p.waitForURL('**/audit?*'), p.click(sel.AUDIT_APPLY)]);
    const rows = p.locator(sel.AUDIT_ENTRY);
    assert.equal(await rows.count(), 2);
    for (const text of await rows.allTextContents()) assert.match(text, /catalog\.published/);
    assert.match((await p.textContent(sel.AUDIT_COUNT)) ?? '', /^2 matching entries/);
    await screenshot(p, 'audit-filtered');
    assert.equal(await get(p, '/audit?from=2020-13-45'), 400);
    assert.equal(await get(p, '/endorsers/cern'), 403);
    assert.equal((await post(p, '/endorsers/cern/publish', { expiresInDays: '7' })).status, 403);

    // Pagination: 55 more entries make two pages of at most 50, newest first.
    for (let i = 0; i < 55; i++)
      await registerImageByUrl(s.inst, {
        endorser: 'other',
        identifier: `bulk-${i}`,
        metadata: { title: `Bulk ${i}` },
        actor: 'test',
        url: `https://mirror.example/bulk-${i}.img`,
        sha256: crypto.createHash('sha256').update(String(i)).digest('hex'),
        size: i,
      });
    await p.goto('/audit');
    const count = (await p.textContent(sel.AUDIT_COUNT)) ?? '';
    const total = Number(/^(\d+) matching/.exec(count)?.[1]);
    assert.ok(total > 55 && total <= 100, count);
    assert.match(count, /page 1 of 2/);
    assert.equal(await p.locator(sel.AUDIT_ENTRY).count(), 50);
    assert.equal(Number(await p.locator(sel.AUDIT_ENTRY).first().getAttribute('data-seq')), total);
    await Promise.all([p.waitForURL('**/audit?page=2'), p.click('[data-testid="audit-next"]')]);
    assert.equal(await p.locator(sel.AUDIT_ENTRY).count(), total - 50);
    assert.equal(
      Number(await p.locator(sel.AUDIT_ENTRY).first().getAttribute('data-seq')),
      total - 50,
    );
    assert.equal(Number(await p.locator(sel.AUDIT_ENTRY).last().getAttribute('data-seq')), 1);
    assert.equal(await p.locator('[data-testid="audit-next"]').count(), 0);
    await p.context().close();
  });

  test('sign out ends the session', async () => {
    await page.goto('/admin');
    await Promise.all([page.waitForURL('**/login?signedOut=1'), page.click(sel.SIGN_OUT)]);
    const res = await page.request.get('/endorsers/cern', { maxRedirects: 0 });
    assert.equal(res.status(), 303);
  });
});
