import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { openInstance, type Instance } from '../../../catalog/index.ts';
import { startServer, type RunningServer } from '../../../server/index.ts';
import { loadWebConfig } from '../../../server/web/index.ts';
import { launchChromium, startWebServer, type WebServer } from './web-server.ts';
import { captureSamlResponse } from './captured-response.ts';

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

const captureResponse = (user: 'endorser1') => captureSamlResponse(browser, server.url, user);

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
