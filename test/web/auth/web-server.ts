import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';
import type { Instance } from '../../../catalog/index.ts';
import { startServer } from '../../../server/index.ts';
import { loadWebConfig } from '../../../server/web/index.ts';
import { freePort } from '../../helpers/free-port.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { IDP_USERS, ROLE_MAPPING, startIdp, type IdpUser, type TestIdp } from './idp.ts';

export interface WebServer {
  inst: Instance;
  /** vmic's listening URL, which is also its public URL (so the IdP posts back here). */
  url: string;
  dir: string;
  idp: TestIdp;
  logs: string[];
  close(): Promise<void>;
}

/**
 * vmic's real server on a loopback port with SAML pointed at a real SimpleSAMLphp IdP:
 * web.json is written into the data directory as an operator would, the IdP registers
 * the SP from GET /saml/metadata.
 */
export async function startWebServer(
  opts: { demoMode?: boolean; prepare?: (inst: Instance, dir: string) => Promise<void> } = {},
): Promise<WebServer> {
  const idp = await startIdp();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await tempInstance({ publicUrl: url });
  try {
    await opts.prepare?.(t.inst, t.dir);
    fs.writeFileSync(
      path.join(t.dir, 'web.json'),
      JSON.stringify({
        saml: {
          entryPoint: idp.ssoUrl,
          idpIssuer: idp.entityId,
          idpCerts: [idp.certFile],
          roleAttribute: 'eduPersonEntitlement',
          roleMapping: ROLE_MAPPING,
          // One browser context may sign in several users in turn.
          forceAuthn: true,
        },
      }),
    );
    const web = loadWebConfig(t.inst, { demoMode: opts.demoMode ?? false, env: {} });
    const logs: string[] = [];
    const server = await startServer(
      t.inst,
      { host: '127.0.0.1', port },
      { web, log: (l) => logs.push(l) },
    );
    idp.registerSp(await (await fetch(`${url}/saml/metadata`)).text());
    return {
      inst: t.inst,
      url,
      dir: t.dir,
      idp,
      logs,
      close: async () => {
        await server.close();
        await t.cleanup();
        await idp.stop();
      },
    };
  } catch (e) {
    await t.cleanup();
    await idp.stop();
    throw e;
  }
}

/** Debian's Chromium, headless; playwright-core never downloads a browser. */
export function launchChromium(): Promise<Browser> {
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

export const SCREENSHOTS = path.resolve('test-output/screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * From vmic's sign-in page through the IdP's real login form. Resolves once the browser
 * is back on vmic (after the ACS), with the SAMLResponse it posted.
 */
export async function signInThroughIdp(
  page: Page,
  server: WebServer,
  user: IdpUser,
  shots?: string,
): Promise<{ samlResponse: string; relayState: string }> {
  let posted: { samlResponse: string; relayState: string } | undefined;
  const onRequest = (req: Request) => {
    if (req.method() === 'POST' && req.url() === `${server.url}/saml/acs`) {
      const form = new URLSearchParams(req.postData() ?? '');
      posted = {
        samlResponse: form.get('SAMLResponse') ?? '',
        relayState: form.get('RelayState') ?? '',
      };
    }
  };
  page.on('request', onRequest);
  try {
    await page.goto(`${server.url}/login`);
    if (shots) await screenshot(page, `${shots}-1-vmic-login`);
    await page.getByRole('link', { name: 'Sign in with your organisation' }).click();
    await page.waitForURL((u) => u.origin === server.idp.url);
    await page.locator('#username').fill(user);
    await page.locator('#password').fill(IDP_USERS[user]);
    if (shots) await screenshot(page, `${shots}-2-idp-login`);
    const acs = page.waitForResponse(
      (r) => r.url() === `${server.url}/saml/acs` && r.request().method() === 'POST',
    );
    await page.locator('#submit_button').click();
    // Signed in: 303 on to the page asked for; refused or no role: a page from the ACS itself.
    if ((await acs).status() === 303)
      await page.waitForURL((u) => u.origin === server.url && u.pathname !== '/saml/acs');
    await page.waitForLoadState('load');
  } finally {
    page.off('request', onRequest);
  }
  if (!posted) throw new Error(`the browser posted no SAMLResponse; IdP log:\n${server.idp.log()}`);
  return posted;
}
