import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { addEndorser, type Instance, type Role } from '../../../catalog/index.ts';
import { startServer } from '../../../server/index.ts';
import { loadWebConfig } from '../../../server/web/index.ts';
import { opensslIdentity } from '../../helpers/openssl/index.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import * as sel from './selectors.ts';

export const SCREENSHOTS = path.resolve('test-output/screenshots/pages');

export interface PagesServer {
  inst: Instance;
  /** The real server on 127.0.0.1, an ephemeral port, with the web sign-in in demo mode. */
  url: string;
  /** Server-side 500 log lines; tests assert this stays empty. */
  logs: string[];
  close(): Promise<void>;
}

/**
 * A fresh instance on a real SQLite file, served with the web admin (demo-mode local
 * sign-in, so a test can sign in with one role), optionally hosting endorsers whose
 * identities stock openssl made.
 */
export async function startPagesServer(
  opts: { endorsers?: string[]; now?: () => Date; publicUrl?: string } = {},
): Promise<PagesServer> {
  const t = await tempInstance({
    ...(opts.now ? { now: opts.now } : {}),
    publicUrl: opts.publicUrl ?? 'http://vmic.test',
  });
  for (const name of opts.endorsers ?? []) {
    const id = opensslIdentity(t.dir, { name: `endorser-${name}` });
    await addEndorser(t.inst, {
      name,
      title: `Endorser ${name}`,
      certificatePem: id.certificatePem,
      keyPem: id.keyPem,
      actor: 'test',
    });
  }
  const logs: string[] = [];
  const server = await startServer(
    t.inst,
    { host: '127.0.0.1', port: 0 },
    { log: (l) => logs.push(l), web: loadWebConfig(t.inst, { demoMode: true, env: {} }) },
  );
  return {
    inst: t.inst,
    url: server.url,
    logs,
    close: async () => {
      await server.close();
      await t.cleanup();
    },
  };
}

/** Debian's chromium, headless; never a downloaded browser. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

/**
 * A page in its own browser context, signed in through the demo-mode local sign-in with
 * one role. Every dialog (alert, confirm) is recorded and dismissed, so a test can assert
 * that no injected script ran.
 */
export async function signIn(
  browser: Browser,
  baseUrl: string,
  name: string,
  role: Role,
): Promise<{ page: Page; dialogs: string[] }> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: { width: 1366, height: 900 },
  });
  const page = await context.newPage();
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.goto('/login?next=%2Fadmin');
  await page.fill(sel.DEV_NAME, name);
  await page.selectOption(sel.DEV_ROLE, role);
  await Promise.all([page.waitForURL('**/admin'), page.click(sel.DEV_SUBMIT)]);
  return { page, dialogs };
}

/** The tests compile without the DOM lib: the part of an element that page functions read. */
export interface PageElement {
  getAttribute(name: string): string | null;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** The session's CSRF token, as the pages' scripts read it. */
export async function csrfOf(page: Page): Promise<string> {
  const token = await page.locator('meta[name="csrf-token"]').getAttribute('content');
  if (!token) throw new Error('no CSRF token on the page');
  return token;
}

/**
 * A direct request with the page's session cookie (not through a form), to check that the
 * server refuses what the pages do not offer. Redirects are not followed.
 */
export async function post(
  page: Page,
  route: string,
  form: Record<string, string>,
  opts: { csrf?: boolean } = {},
): Promise<{ status: number; location: string | undefined }> {
  const fields = opts.csrf === false ? form : { ...form, _csrf: await csrfOf(page) };
  const res = await page.request.post(route, { form: fields, maxRedirects: 0 });
  return { status: res.status(), location: res.headers().location };
}

export async function get(page: Page, route: string): Promise<number> {
  const res = await page.request.get(route, { maxRedirects: 0 });
  return res.status();
}
