import type { Browser } from 'playwright-core';
import { IDP_USERS } from './idp.ts';

/**
 * Signs `user` in at the real IdP, starting from vmic at `baseUrl`, and keeps the IdP's
 * POST to the assertion consumer from reaching vmic: the test posts it itself (a replay,
 * or to another replica).
 */
export async function captureSamlResponse(
  browser: Browser,
  baseUrl: string,
  user: keyof typeof IDP_USERS,
): Promise<URLSearchParams> {
  const context = await browser.newContext();
  const page = await context.newPage();
  try {
    let captured: URLSearchParams | undefined;
    await page.route(`${baseUrl}/saml/acs`, async (route) => {
      captured = new URLSearchParams(route.request().postData() ?? '');
      await route.fulfill({ status: 200, contentType: 'text/plain', body: 'captured' });
    });
    await page.goto(`${baseUrl}/login`);
    await page.getByRole('link', { name: 'Sign in with your organisation' }).click();
    await page.locator('#username').fill(user);
    await page.locator('#password').fill(IDP_USERS[user]);
    await page.locator('#submit_button').click();
    await page.waitForURL(`${baseUrl}/saml/acs`);
    if (!captured?.get('SAMLResponse')) throw new Error('the IdP posted no SAMLResponse');
    return captured;
  } finally {
    await context.close();
  }
}
