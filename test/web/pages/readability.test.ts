/**
 * How the web admin reads, in Debian's chromium: every page of the header nav (and an
 * endorser, image, publish and gate page) at a laptop width and a phone width. The page
 * never scrolls sideways, no table cell with more than 30 characters is squeezed below
 * 100 px, and axe-core finds no serious or critical accessibility violation.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startShowcase, type Showcase } from '../../../scripts/demo/showcase.ts';
import { listSiteImages } from '../../../catalog/site/site-images.ts';
import { cursorOf } from '../../../catalog/site/site-image-pages.ts';
import { acquireRunLock } from '../../../catalog/site/run-lock.ts';
import { launchBrowser, signIn } from './helpers.ts';
import * as sel from './selectors.ts';

const WIDTHS = [1280, 390] as const;
const AXE = path.resolve('node_modules/axe-core/axe.min.js');

/** Cells whose text is longer than 30 characters and whose box is narrower than 100 px. */
const SQUEEZED = `Array.from(document.querySelectorAll('td, th'))
  .map((c) => ({ text: c.textContent.replace(/\\s+/g, ' ').trim(), width: c.getBoundingClientRect().width }))
  .filter((c) => c.text.length > 30 && c.width < 100)
  .map((c) => Math.round(c.width) + 'px: ' + c.text.slice(0, 60))`;

const OVERFLOW = `({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })`;

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: unknown }[] }[];
}

describe('web admin readability: every page at 1280 and 390 px, and axe-core', () => {
  let dir: string;
  let show: Showcase;
  let browser: Browser;
  let page: Page;
  const pages: string[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-readability-'));
    show = await startShowcase(dir);
    browser = await launchBrowser();
    // axe is injected as a script the page's own policy would refuse; only this context
    // bypasses the CSP, the pages themselves are served with it unchanged.
    const context = await browser.newContext({ baseURL: show.url, bypassCSP: true });
    page = await context.newPage();
    await page.goto('/login?next=%2Fadmin');
    await page.fill(sel.DEV_NAME, 'ada');
    await page.selectOption(sel.DEV_ROLE, 'admin');
    await Promise.all([page.waitForURL('**/admin'), page.click(sel.DEV_SUBMIT)]);
    const nav = await page
      .locator(`${sel.NAV} a`)
      .evaluateAll((els: { getAttribute(n: string): string | null }[]) =>
        els.map((e) => e.getAttribute('href') ?? ''),
      );
    // A run that fails at once (another process holds the fetch lease): its page stays.
    const lock = await acquireRunLock(show.inst.store.db, 'fetch', { now: show.inst.now });
    await page.goto('/site/images');
    await Promise.all([page.waitForURL('**/site/jobs/*'), page.click(sel.FETCH_NOW)]);
    assert.match((await page.textContent('[data-testid="job-error"]')) ?? '', /CONFLICT/);
    await lock.release();
    const [firstImage] = await listSiteImages(show.inst.store.db, { limit: 1 });
    assert.ok(firstImage, 'the showcase imports site images');
    pages.push(
      new URL(page.url()).pathname,
      ...nav,
      '/endorsers/demo-rsa',
      '/endorsers/demo-rsa/images/demo-extra-0',
      '/endorsers/demo-rsa/publish',
      '/site/images?state=awaiting-approval',
      // A later page: its position line and page links.
      `/site/images?cursor=${cursorOf(firstImage)}`,
      '/site/gate/demo-linux-server?subscription=demo-rsa',
      // An adopted image: the chain of trust on the gate page.
      '/site/gate/demo-linux-server-adopted?subscription=demo-ecdsa',
      '/endorsers/demo-ecdsa',
      '/audit?page=2',
    );
  });
  after(async () => {
    await browser?.close();
    await show?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(show.logs, []);
  });

  test('the header nav reaches every admin page', () => {
    for (const p of ['/admin', '/site/images', '/site/subscriptions', '/site/trust', '/audit'])
      assert.ok(pages.includes(p), `${p} in ${pages.join(' ')}`);
    assert.ok(pages.includes('/site/migrations'));
  });

  for (const width of WIDTHS) {
    test(`at ${width} px: no sideways page scroll, no squeezed cell, no serious axe violation`, async () => {
      await page.setViewportSize({ width, height: 900 });
      const problems: string[] = [];
      for (const route of pages) {
        const res = await page.goto(route);
        assert.equal(res?.status(), 200, route);
        const o = await page.evaluate<{ scroll: number; inner: number }>(OVERFLOW);
        if (o.scroll > o.inner)
          problems.push(`${route}: page is ${o.scroll} px wide in ${o.inner}`);
        for (const c of await page.evaluate<string[]>(SQUEEZED))
          problems.push(`${route}: squeezed cell ${c}`);
        await page.addScriptTag({ path: AXE });
        const axe = await page.evaluate<AxeResult>('axe.run()');
        for (const v of axe.violations.filter((x) =>
          ['serious', 'critical'].includes(x.impact ?? ''),
        ))
          problems.push(
            `${route}: axe ${v.impact} ${v.id} (${v.help}) at ${JSON.stringify(v.nodes.map((n) => n.target)).slice(0, 300)}`,
          );
      }
      assert.deepEqual(problems, []);
    });
  }

  test('audit: one-line summaries with the JSON behind them, and a JSON lines download', async () => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto('/audit?action=image.updated');
    const summaries = await page.locator('[data-testid="audit-summary"]').allTextContents();
    assert.equal(summaries.length, 30);
    for (const s of summaries) assert.ok(s.length <= 160, s);
    assert.match(summaries[0] ?? '', /^fields title, description, os_?version/i);
    const pretty = await page.locator('pre.json').first().textContent();
    assert.equal((JSON.parse(pretty ?? '') as { fields?: string[] }).fields?.length, 3);

    const href = await page.locator('[data-testid="audit-download"]').getAttribute('href');
    assert.equal(href, '/audit?action=image.updated&format=jsonl');
    const res = await page.request.get(href);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'] ?? '', /^application\/x-ndjson/);
    assert.match(
      res.headers()['content-disposition'] ?? '',
      /^attachment; filename="[^"]+\.jsonl"/,
    );
    const lines = (await res.text()).split('\n').filter(Boolean);
    assert.equal(lines.length, 30);
    const records = lines.map(
      (l) => JSON.parse(l) as { seq: number; action: string; hash: string },
    );
    assert.ok(records.every((r) => r.action === 'image.updated' && /^[0-9a-f]{64}$/.test(r.hash)));
    assert.ok(
      records.every((r, i) => i === 0 || r.seq > records[i - 1]!.seq),
      'oldest first',
    );
    assert.equal((await page.request.get('/audit?format=xml')).status(), 400);
    // The fetch's entries: a hash cut short and a size in binary units.
    await page.goto('/audit?action=image.fetched');
    assert.match(
      (await page.locator('[data-testid="audit-summary"]').first().textContent()) ?? '',
      /byteSize \d+(\.\d)? MiB/,
    );

    const approver = await signIn(browser, show.url, 'sam', 'site-approver');
    const refused = await approver.page.request.get('/audit?format=jsonl', { maxRedirects: 0 });
    assert.equal(refused.status(), 403);
    await approver.page.context().close();
  });

  test('site images: filter by state, say which, clear it; an unknown state is a 400 page', async () => {
    await page.goto('/site/images?state=quarantined');
    const rows = page.locator(sel.SITE_IMAGE_ROW);
    assert.deepEqual(
      await rows.evaluateAll((els: { getAttribute(n: string): string | null }[]) =>
        els.map((e) => e.getAttribute('data-identifier')),
      ),
      ['demo-swapped'],
    );
    assert.match((await page.textContent('[data-testid="active-filter"]')) ?? '', /quarantined/);
    await page.goto('/site/images?state=deployable');
    assert.deepEqual(
      await rows.evaluateAll((els: { getAttribute(n: string): string | null }[]) =>
        els.map(
          (e) => `${e.getAttribute('data-subscription')}/${e.getAttribute('data-identifier')}`,
        ),
      ),
      // The showcase's one deployable image, and its adopted copy (the chain of trust).
      ['demo-ecdsa/demo-linux-server-adopted', 'demo-rsa/demo-linux-server'],
    );
    await Promise.all([
      page.waitForURL('**/site/images'),
      page.click('[data-testid="clear-filter"]'),
    ]);
    assert.ok((await rows.count()) > 6);
    const bad = await page.goto('/site/images?state=bogus');
    assert.equal(bad?.status(), 400);
    assert.match((await page.textContent(sel.ERROR)) ?? '', /state must be one of/);
  });

  test('metadata forms suggest architectures, formats and hypervisors, and accept others', async () => {
    await page.goto('/endorsers/demo-rsa');
    const options = (id: string) =>
      page
        .locator(`datalist#${id} option`)
        .evaluateAll((els: { getAttribute(n: string): string | null }[]) =>
          els.map((e) => e.getAttribute('value')),
        );
    assert.equal(await page.getAttribute('[data-testid="reg-arch"]', 'list'), 'reg-arch-list');
    assert.deepEqual(await options('reg-arch-list'), ['x86_64', 'aarch64']);
    assert.deepEqual(await options('up-hypervisor-list'), ['kvm', 'xen', 'vmware', 'hyperv']);
    assert.deepEqual(await options('reg-format-list'), [
      'qcow2',
      'raw',
      'vmdk',
      'vhd',
      'vhdx',
      'ova',
      'iso',
    ]);
    // Sizes read in binary units, the exact bytes in the tooltip.
    assert.match(
      (await page.textContent('label[for="up-file"]')) ?? '',
      /at most \d+(\.\d)? [KMGT]iB\)/,
    );
    await page.goto('/endorsers/demo-rsa/images/demo-extra-3');
    assert.equal(await page.inputValue('[data-testid="edit-arch"]'), 'riscv64');
  });

  test('fetch now runs in the background and lands on its result; its status is JSON', async () => {
    await page.goto('/site/images');
    await Promise.all([page.waitForURL('**/site/images?*'), page.click(sel.FETCH_NOW)]);
    assert.match((await page.textContent(sel.FETCH_NOTICE)) ?? '', /Fetch finished: \d+ verified/);
    const start = await page.request.post('/site/fetch', {
      form: { _csrf: (await page.getAttribute('meta[name="csrf-token"]', 'content')) ?? '' },
      maxRedirects: 0,
    });
    assert.equal(start.status(), 303);
    const job = start.headers().location ?? '';
    assert.match(job, /^\/site\/jobs\/[0-9a-f]{24}$/);
    const status = (await (await page.request.get(`${job}/status`)).json()) as {
      state: string;
      label: string;
    };
    assert.ok(['running', 'done', 'failed'].includes(status.state));
    assert.equal(status.label, 'Fetch of images');
    // The run ends before the instance closes.
    for (let s = status; s.state === 'running'; await page.waitForTimeout(100))
      s = (await (await page.request.get(`${job}/status`)).json()) as typeof status;
    assert.equal((await page.request.get('/site/jobs/nope/status')).status(), 404);
  });
});
