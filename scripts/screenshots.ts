/**
 * `npm run screenshots`: full-page PNGs of the web admin as an operator sees it, at a laptop
 * width (1280 px) and a phone width (390 px), from the showcase instance (scripts/demo/
 * showcase.ts: the demo with fetched, quarantined and awaiting images and a long audit log),
 * signed in as admin through the demo's local sign-in. Written to test-output/screenshots/
 * (ignored by git). Uses Debian's chromium; never downloads a browser.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startShowcase } from './demo/showcase.ts';

const OUT = path.resolve('test-output/screenshots');
const WIDTHS = [1280, 390];
const PAGES: [name: string, route: string][] = [
  ['dashboard', '/admin'],
  ['site-images', '/site/images'],
  ['subscriptions', '/site/subscriptions'],
  ['audit', '/audit'],
  ['endorser', '/endorsers/demo-rsa'],
  ['gate-chain', '/site/gate/demo-linux-server-adopted?subscription=demo-ecdsa'],
];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-screenshots-'));
const show = await startShowcase(dir);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
try {
  fs.mkdirSync(OUT, { recursive: true });
  const context = await browser.newContext({ baseURL: show.url });
  const page = await context.newPage();
  await page.goto('/login?next=%2Fadmin');
  await page.fill('[data-testid="dev-name"]', 'ada');
  await page.selectOption('[data-testid="dev-role"]', 'admin');
  await Promise.all([page.waitForURL('**/admin'), page.click('[data-testid="dev-submit"]')]);
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 800 });
    for (const [name, route] of PAGES) {
      await page.goto(route);
      const file = path.join(OUT, `${name}-${width}.png`);
      await page.screenshot({ path: file, fullPage: true });
      process.stdout.write(`${path.relative(process.cwd(), file)}\n`);
    }
  }
} finally {
  await browser.close();
  await show.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
