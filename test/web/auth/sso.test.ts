import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import {
  launchChromium,
  screenshot,
  signInThroughIdp,
  startWebServer,
  type WebServer,
} from './web-server.ts';
import { captureSamlResponse } from './captured-response.ts';

/*
 * Sign-in through a real SAML IdP (SimpleSAMLphp on loopback) in headless Chromium, and
 * the refusals: a replayed response, a tampered assertion, a user without a role.
 */

let server: WebServer;
let browser: Browser;

before(async () => {
  server = await startWebServer();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

function sessionCookieOf(res: Response): string | undefined {
  return res.headers.getSetCookie().find((c) => c.startsWith('vmic_session='));
}

describe('SAML sign-in through SimpleSAMLphp', () => {
  test('SP metadata names our entity, our ACS and that assertions must be signed', async () => {
    const res = await fetch(`${server.url}/saml/metadata`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/samlmetadata\+xml/);
    const xml = await res.text();
    assert.ok(xml.includes(`entityID="${server.url}/saml/metadata"`), xml);
    assert.ok(xml.includes(`Location="${server.url}/saml/acs"`), xml);
    assert.ok(xml.includes('WantAssertionsSigned="true"'), xml);
  });

  test('endorser1 signs in with role endorser:demo-rsa, then signs out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signInThroughIdp(page, server, 'endorser1', 'sso-endorser1');
      assert.equal(new URL(page.url()).origin, server.url);
      await screenshot(page, 'sso-endorser1-3-signed-in');
      await page.goto(`${server.url}/login`);
      assert.equal(
        (await page.getByTestId('signed-in-as').textContent())?.replace(/\s+/g, ' ').trim(),
        'You are signed in as saml:endorser1@example.org. Go to the start page.',
      );

      const cookies = await context.cookies(server.url);
      const session = cookies.find((c) => c.name === 'vmic_session');
      assert.ok(session, JSON.stringify(cookies));
      assert.equal(session.httpOnly, true);
      assert.equal(session.sameSite, 'Lax');
      assert.equal(session.secure, false, 'http public URL: no Secure flag');

      // The session authenticates the API too: the endorser's own images, not another's.
      const cookie = `vmic_session=${session.value}`;
      const mine = await fetch(`${server.url}/api/v1/endorsers`, { headers: { cookie } });
      assert.notEqual(mine.status, 401);

      // Sign out from the pages' header form (it carries the CSRF token).
      await page.goto(`${server.url}/admin`);
      await screenshot(page, 'sso-endorser1-4-admin');
      assert.match((await page.getByTestId('roles').textContent()) ?? '', /endorser:demo-rsa/);
      await page.getByTestId('sign-out').click();
      await page.waitForURL(`${server.url}/login?signedOut=1`);
      await page.getByTestId('signed-out').waitFor();
      await screenshot(page, 'sso-endorser1-5-signed-out');
      const afterLogout = await fetch(`${server.url}/api/v1/endorsers`, { headers: { cookie } });
      assert.equal(afterLogout.status, 401, 'the old cookie is dead on the server');
    } finally {
      await context.close();
    }
  });

  test('nobody1 (no mapped entitlement) sees the no-access page and gets no session', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await signInThroughIdp(page, server, 'nobody1', 'sso-nobody1');
      await page.getByTestId('no-access').waitFor();
      assert.equal(await page.getByTestId('no-access-user').textContent(), 'nobody1@example.org');
      await screenshot(page, 'sso-nobody1-3-no-access');
      const cookies = await context.cookies(server.url);
      assert.equal(
        cookies.find((c) => c.name === 'vmic_session'),
        undefined,
        JSON.stringify(cookies),
      );
    } finally {
      await context.close();
    }
  });

  const captureResponse = (user: 'endorser1') => captureSamlResponse(browser, server.url, user);

  const postToAcs = (form: URLSearchParams, samlResponse?: string) =>
    fetch(`${server.url}/saml/acs`, {
      method: 'POST',
      redirect: 'manual',
      body: new URLSearchParams({
        SAMLResponse: samlResponse ?? form.get('SAMLResponse')!,
        RelayState: form.get('RelayState') ?? '',
      }),
    });

  test('a response is accepted once (secure session cookie); its replay is refused', async () => {
    const form = await captureResponse('endorser1');
    const ok = await postToAcs(form);
    assert.equal(ok.status, 303, await ok.text());
    const cookie = sessionCookieOf(ok);
    assert.ok(cookie, 'a session cookie is set');
    assert.match(cookie, /; HttpOnly/i);
    assert.match(cookie, /; SameSite=Lax/i);
    assert.doesNotMatch(cookie, /; Secure/i);
    assert.match(cookie, /; Path=\//);

    // The same response again: its InResponseTo was consumed by the first use.
    const replay = await postToAcs(form);
    assert.equal(replay.status, 401);
    assert.match(await replay.text(), /InResponseTo is not valid/);
    assert.equal(sessionCookieOf(replay), undefined);
  });

  test('an assertion with one attribute value changed is refused by its signature', async () => {
    const form = await captureResponse('endorser1');
    const xml = Buffer.from(form.get('SAMLResponse')!, 'base64').toString('utf8');
    assert.ok(xml.includes('urn:example:vmic:endorser:demo-rsa'));
    // endorser → admin: a privilege escalation if the signature were not checked.
    const forged = xml.replace('urn:example:vmic:endorser:demo-rsa', 'urn:example:vmic:admin');
    const tampered = await postToAcs(form, Buffer.from(forged, 'utf8').toString('base64'));
    assert.equal(tampered.status, 401);
    assert.match(await tampered.text(), /signature/i);
    assert.equal(sessionCookieOf(tampered), undefined);
    // node-saml drops the request id on any failure: the genuine response is now dead too.
    const genuine = await postToAcs(form);
    assert.equal(genuine.status, 401);
  });

  test('an ACS post without a SAMLResponse, or with garbage, signs nobody in', async () => {
    for (const body of [{}, { SAMLResponse: 'bm90IHhtbA==' }] as Record<string, string>[]) {
      const res = await fetch(`${server.url}/saml/acs`, {
        method: 'POST',
        redirect: 'manual',
        body: new URLSearchParams(body),
      });
      assert.ok(res.status === 400 || res.status === 401, String(res.status));
      assert.equal(sessionCookieOf(res), undefined);
    }
  });
});
