import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { registerImageByUrl } from '../../../catalog/index.ts';
import { generateNpmSboms, variant, type NpmSboms } from '../../fixtures/sbom/npm-sbom.ts';
import { launchBrowser, screenshot, signIn, startPagesServer } from './helpers.ts';
import type { PagesServer } from './helpers.ts';
import * as sel from './selectors.ts';

/*
 * The "Software inventory" block of the endorser's image page: attach an SBOM file through
 * the multipart form (CSRF token in the query string, as the other uploads), see what is
 * attached, download it, be told why a document is refused, detach it.
 */
const t = (id: string) => `[data-testid="${id}"]`;
const PAGE = '/endorsers/cern/images/alma9';

describe('web image page: software inventory', () => {
  let s: PagesServer;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let npm: NpmSboms;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-sbom-pages-'));
    npm = generateNpmSboms(dir);
    s = await startPagesServer({ endorsers: ['cern'] });
    await registerImageByUrl(s.inst, {
      endorser: 'cern',
      identifier: 'alma9',
      metadata: { title: 'AlmaLinux 9 cloud image' },
      actor: 'test',
      url: 'https://mirror.example/alma9.qcow2',
      sha256: crypto.createHash('sha256').update('alma9').digest('hex'),
      size: 4096,
    });
    browser = await launchBrowser();
    page = (await signIn(browser, s.url, 'alice', 'endorser:cern')).page;
  });
  after(async () => {
    await browser?.close();
    await s?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(s.logs, []);
  });

  async function upload(file: string): Promise<void> {
    await page.goto(PAGE);
    await page.setInputFiles(t('sbom-file'), file);
    await Promise.all([page.waitForLoadState(), page.click(t('sbom-submit'))]);
    await page.waitForLoadState();
  }

  test('without an SBOM the block says so and offers the upload form', async () => {
    await page.goto(PAGE);
    assert.equal(await page.locator(t('sbom-none')).isVisible(), true);
    assert.match((await page.textContent(t('sbom-form'))) ?? '', /at most 16 MiB/);
  });

  test('a refused document shows the schema error; nothing is attached', async () => {
    const bad = variant(npm.cyclonedx, 'web-no-name.cdx.json', (d) => {
      delete (d.components as Record<string, unknown>[])[0]!.name;
    });
    await upload(bad);
    await screenshot(page, 'image-sbom-refused');
    assert.equal(await page.textContent(sel.ERROR_STATUS), '400');
    assert.equal(await page.textContent(sel.ERROR_CODE), 'MALFORMED');
    assert.match(
      (await page.textContent(sel.ERROR_MESSAGE)) ?? '',
      /not valid CycloneDX 1\.5: \/components\/0: must have required property 'name'/,
    );
    await page.goto(PAGE);
    assert.equal(await page.locator(t('sbom-none')).isVisible(), true);
  });

  test('an attached SBOM shows format, size, SHA-256 and a download of the same bytes', async () => {
    await upload(npm.cyclonedx);
    assert.match(page.url(), /\?saved=sbom$/);
    const bytes = fs.readFileSync(npm.cyclonedx);
    const hex = crypto.createHash('sha256').update(bytes).digest('hex');
    assert.equal(await page.textContent(t('sbom-sha256')), hex);
    assert.match((await page.textContent(t('sbom-format'))) ?? '', /CycloneDX JSON/);
    assert.equal(
      await page.textContent(t('sbom-public-url')),
      `http://vmic.test/blobs/sha256/${hex}`,
    );
    const href = await page.locator(t('sbom-download')).getAttribute('href');
    const got = await page.request.get(href ?? '');
    assert.equal(got.headers()['content-type'], 'application/vnd.cyclonedx+json');
    assert.ok(Buffer.from(await got.body()).equals(bytes));

    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const [doc, win] = await page.evaluate<[number, number]>(
        '[document.documentElement.scrollWidth, window.innerWidth]',
      );
      assert.ok(doc <= win, `document ${doc} px wide in a ${win} px window`);
      await page.locator(t('sbom-panel')).scrollIntoViewIfNeeded();
      await screenshot(page, `image-sbom-${width}`);
    }
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  test('an SPDX document replaces it; detach removes it', async () => {
    await upload(npm.spdx);
    assert.match((await page.textContent(t('sbom-format'))) ?? '', /SPDX JSON/);
    await Promise.all([page.waitForLoadState(), page.click(t('sbom-detach'))]);
    await page.waitForURL(/saved=sbom-detached/);
    assert.equal(await page.locator(t('sbom-none')).isVisible(), true);
  });
});
