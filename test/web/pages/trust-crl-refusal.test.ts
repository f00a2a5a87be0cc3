import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { listTrust } from '../../../catalog/site/trust-store.ts';
import { opensslCrl, opensslIntermediate, opensslRoot } from '../../helpers/openssl/index.ts';
import { launchBrowser, signIn, startPagesServer, type PagesServer } from './helpers.ts';
import * as sel from './selectors.ts';

// The web trust page says why a CRL is refused, as `vmic trust add` does (docs/design.md
// §6, revocation rules): a CRL from a CA certificate without cRLSign, made by stock `openssl ca`.
let dir: string;
let s: PagesServer;
let browser: Browser;
let admin: Page;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-trust-page-'));
  s = await startPagesServer();
  browser = await launchBrowser();
  ({ page: admin } = await signIn(browser, s.url, 'ada', 'admin'));
});
after(async () => {
  await browser.close();
  await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a CRL the site could never use is refused on the trust page, with the reason', async () => {
  const root = opensslRoot(dir, 'root', '/CN=Page Root');
  const ca = opensslIntermediate(root, dir, 'nosign', '/CN=Page CA Without CRL Sign', {
    crlSign: false,
  });
  const pem =
    fs.readFileSync(root.certFile, 'utf8') +
    fs.readFileSync(ca.certFile, 'utf8') +
    opensslCrl(ca, { crlNumber: true });
  await admin.goto('/site/trust');
  await admin.fill(sel.TRUST_PEM, pem);
  await admin.click(sel.TRUST_SUBMIT);
  await admin.waitForSelector(sel.ERROR);
  assert.equal(await admin.textContent('[data-testid="error-code"]'), 'CRL_INVALID');
  assert.match(
    (await admin.textContent('[data-testid="error-message"]')) ?? '',
    /CRL of CN=Page CA Without CRL Sign refused: .*keyUsage without cRLSign/,
  );
  // Nothing of the paste was kept: certificates and CRL go in together or not at all.
  const held = await listTrust(s.inst.store.db);
  assert.deepEqual([held.certificates.length, held.crls.length], [0, 0]);
});
