import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { openInstance, type Instance } from '../../../catalog/index.ts';
import { startServer, type RunningServer } from '../../../server/index.ts';
import { loadWebConfig } from '../../../server/web/index.ts';
import { launchChromium, startWebServer, type WebServer } from './web-server.ts';
import { IDP_USERS } from './idp.ts';

/*
 * Two replicas on one database behind one public URL: a sign-in started on one (its
 * AuthnRequest id saved) is finished on the other (the IdP's response posted there), and
 * the response is then used up on both.
 */

let server: WebServer;
let second: Instance;
let replica: RunningServer;
let browser: Browser;

before(async () => {
  server = await startWebServer();
  second = await openInstance(server.inst.config, { env: {} });
  const web = loadWebConfig(second, { demoMode: false, env: {} });
  replica = await startServer(second, { host: '127.0.0.1', port: 0 }, { web, log: () => {} });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await replica?.close();
  await second?.close();
  await server?.close();
});

/** The IdP's response to a sign-in started on replica one, kept from reaching it. */
async function captureResponse(user: 'endorser1'): Promise<URLSearchParams> {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    let captured: URLSearchParams | undefined;
    await page.route(`${server.url}/saml/acs`, async (route) => {
      captured = new URLSearchParams(route.request().postData() ?? '');
      await route.fulfill({ status: 200, contentType: 'text/plain', body: 'captured' });
    });
    await page.goto(`${server.url}/login`);
    await page.getByRole('link', { name: 'Sign in with your organisation' }).click();
    await page.locator('#username').fill(user);
    await page.locator('#password').fill(IDP_USERS[user]);
    await page.locator('#submit_button').click();
    await page.waitForURL(`${server.url}/saml/acs`);
    if (!captured?.get('SAMLResponse')) throw new Error('the IdP posted no SAMLResponse');
    return captured;
  } finally {
    await context.close();
  }
}

const postToAcs = (base: string, form: URLSearchParams) =>
  fetch(`${base}/saml/acs`, {
    method: 'POST',
    redirect: 'manual',
    body: new URLSearchParams({
      SAMLResponse: form.get('SAMLResponse')!,
      RelayState: form.get('RelayState') ?? '',
    }),
  });

test('a SAML sign-in started on one replica completes on another, once', async () => {
  const form = await captureResponse('endorser1');
  const ok = await postToAcs(replica.url, form);
  assert.equal(ok.status, 303, await ok.text());
  const cookie = ok.headers
    .getSetCookie()
    .find((c) => c.startsWith('vmic_session='))
    ?.split(';')[0];
  assert.ok(cookie);
  // The session made by replica two is valid on replica one.
  const page = await fetch(`${server.url}/admin`, { redirect: 'manual', headers: { cookie } });
  assert.equal(page.status, 200);
  // The same response posted to replica one: its request id was used up on replica two.
  const replay = await postToAcs(server.url, form);
  assert.equal(replay.status, 401);
  assert.match(await replay.text(), /InResponseTo is not valid/);
});
