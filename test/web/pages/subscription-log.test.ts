import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { derToPem } from '../../../pki/index.ts';
import {
  checkpointText,
  cosignerFromSeed,
  cosignerKeyText,
  signNote,
  signerFromSeed,
  verifierKeyText,
} from '../../../tlog/index.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { recordEvidence } from '../../../catalog/log/log-views.ts';
import { writeTransaction } from '../../../catalog/store/write-transaction.ts';
import {
  FIXTURE_TIME,
  NAMES,
  crlOf,
  scenario,
  type Scenario,
} from '../../fixtures/pki-fixtures.ts';
import { signedCatalog, startFeedServer } from '../../catalog/site/helpers/signed-feed.ts';
import {
  launchBrowser,
  post,
  screenshot,
  signIn,
  startPagesServer,
  type PagesServer,
} from './helpers.ts';
import * as sel from './selectors.ts';

const DAY = 86400_000;
const at = (days: number) => new Date(FIXTURE_TIME.getTime() + days * DAY);
const log = signerFromSeed('fx.example/log', randomBytes(32));
const LOG_KEY = verifierKeyText(log);
const WITNESS_KEY = cosignerKeyText(cosignerFromSeed('witness.example', randomBytes(32)));
const WITNESS_URL = 'http://127.0.0.1:9/witness/';

/** A signed checkpoint of `log` at `size`, as a fork's evidence holds two of them. */
function checkpoint(size: number): string {
  const text = checkpointText({
    origin: log.name,
    size,
    root: randomBytes(32),
    extensions: [],
  });
  return signNote(text, [log]);
}

describe('web admin: a subscription’s transparency log', () => {
  let s: PagesServer;
  let browser: Browser;
  let pki: Scenario;
  let feed: Awaited<ReturnType<typeof startFeedServer>>;
  let admin: Page;

  before(async () => {
    pki = await scenario();
    feed = await startFeedServer();
    s = await startPagesServer({ now: () => FIXTURE_TIME, publicUrl: 'http://site.test' });
    const pem =
      [pki.root.certificate, pki.intermediate.certificate]
        .map((c) => derToPem(c, 'CERTIFICATE'))
        .join('') +
      [await crlOf(pki.intermediate), await crlOf(pki.root)]
        .map((c) => derToPem(c, 'X509 CRL'))
        .join('');
    await addTrustMaterial(s.inst, pem, 'test');
    browser = await launchBrowser();
    ({ page: admin } = await signIn(browser, s.url, 'ada', 'admin'));
  });
  after(async () => {
    await browser.close();
    await s.close();
    await feed.stop();
    assert.deepEqual(s.logs, []);
  });

  test('subscribe with warn, a pinned key and a witness; an import whose log check fails says so', async () => {
    await admin.goto('/site/subscriptions');
    await admin.fill(sel.SUBSCRIBE_URL, feed.url);
    await admin.fill(sel.SUBSCRIBE_SUBJECT, NAMES.leaf);
    await admin.selectOption(sel.SUBSCRIBE_LOG, 'warn');
    await admin.fill(sel.SUBSCRIBE_LOG_KEY, LOG_KEY);
    await admin.fill(sel.SUBSCRIBE_WITNESSES, `\n${WITNESS_KEY},${WITNESS_URL}\n\n`);
    await Promise.all([
      admin.waitForURL('**/site/subscriptions'),
      admin.click(sel.SUBSCRIBE_SUBMIT),
    ]);
    let fx = admin.locator(sel.subscriptionRow('fx'));
    assert.equal(await fx.locator(sel.SUBSCRIPTION_LOG_POLICY).textContent(), 'warn');
    const key = (await fx.locator(sel.SUBSCRIPTION_LOG_KEY).textContent()) ?? '';
    assert.ok(key.includes(LOG_KEY), key);
    assert.match(key, /pinned at subscribe/);
    // No quorum given: every witness named must cosign.
    assert.match(
      (await fx.locator(sel.SUBSCRIPTION_WITNESS_QUORUM).textContent()) ?? '',
      /1 of 1 witness must cosign/,
    );
    const witnesses = (await fx.locator(sel.SUBSCRIPTION_WITNESSES).textContent()) ?? '';
    assert.ok(witnesses.includes(`${WITNESS_KEY} at ${WITNESS_URL}`), witnesses);
    assert.equal(await fx.locator(sel.SUBSCRIPTION_FORKS).count(), 0);

    // The stand-in feed runs no log: under warn the catalog is applied, the failure named.
    feed.serve(
      await signedCatalog({
        signer: pki.leaf,
        chain: [pki.intermediate.certificate],
        sequence: 1,
        issued: at(-1),
        expires: at(10),
        images: [],
      }),
    );
    await Promise.all([
      admin.waitForURL('**/site/subscriptions?*'),
      fx.locator(sel.IMPORT_NOW).click(),
    ]);
    assert.match((await admin.textContent(sel.IMPORT_NOTICE)) ?? '', /Import of fx: applied/);
    assert.match(
      (await admin.textContent('[data-testid="import-log-warning"]')) ?? '',
      /transparency log check failed.*NOT_LOGGED.*not proved to be in the endorser's transparency log/s,
    );
    fx = admin.locator(sel.subscriptionRow('fx'));
    assert.equal(await fx.locator(sel.SUBSCRIPTION_SEQUENCE).textContent(), '1');

    // The default is require, with the key learned on first use.
    await admin.fill(sel.SUBSCRIBE_URL, 'http://127.0.0.1:9/feeds/acme/');
    await admin.fill(sel.SUBSCRIBE_SUBJECT, NAMES.leaf);
    await Promise.all([
      admin.waitForURL('**/site/subscriptions'),
      admin.click(sel.SUBSCRIBE_SUBMIT),
    ]);
    const acme = admin.locator(sel.subscriptionRow('acme'));
    assert.equal(await acme.locator(sel.SUBSCRIPTION_LOG_POLICY).textContent(), 'require');
    assert.match(
      (await acme.locator(sel.SUBSCRIPTION_LOG_KEY).textContent()) ?? '',
      /key not yet known.*trust on first use/,
    );
    assert.equal(
      await acme.locator(sel.SUBSCRIPTION_WITNESS_QUORUM).textContent(),
      'no witnesses named',
    );
    await screenshot(admin, 'site-subscriptions-log');
  });

  test('refused form input subscribes nothing', async () => {
    const base = { url: 'http://127.0.0.1:9/feeds/other/', expectSubject: NAMES.leaf };
    for (const bad of [
      { ...base, log: 'bogus' },
      { ...base, logKey: 'not a key' },
      { ...base, witnesses: WITNESS_KEY, witnessQuorum: '2' },
      { ...base, witnesses: LOG_KEY },
      { ...base, log: 'off', witnesses: WITNESS_KEY },
    ])
      assert.equal(
        (await post(admin, '/site/subscriptions', bad)).status,
        400,
        JSON.stringify(bad),
      );
    await admin.goto('/site/subscriptions');
    assert.equal(await admin.locator(sel.subscriptionRow('other')).count(), 0);
  });

  test('forks found for a subscription: an error notice with the newest and both notes', async () => {
    const older = { held: checkpoint(3), served: checkpoint(3) };
    const newer = { held: checkpoint(7), served: checkpoint(5) };
    await writeTransaction(s.inst.store, async (tx) => {
      const e = { origin: log.name, subscription: 'acme', foundBy: 'import' as const };
      await recordEvidence(tx, { ...e, message: 'older fork', ...older }, at(-2));
      await recordEvidence(tx, { ...e, message: 'a smaller tree at size 5', ...newer }, at(-1));
    });
    await admin.goto('/site/subscriptions');
    assert.equal(
      await admin.locator(sel.subscriptionRow('fx')).locator(sel.SUBSCRIPTION_FORKS).count(),
      0,
    );
    const forks = admin.locator(sel.subscriptionRow('acme')).locator(sel.SUBSCRIPTION_FORKS);
    assert.equal(await forks.count(), 1);
    assert.match((await forks.getAttribute('class')) ?? '', /\bnotice bad\b/);
    assert.equal(await forks.locator(sel.SUBSCRIPTION_FORK_COUNT).textContent(), '2');
    assert.match((await forks.textContent()) ?? '', /2 forks of the log found/);
    assert.equal(
      await forks.locator(sel.SUBSCRIPTION_FORK_MESSAGE).textContent(),
      'a smaller tree at size 5',
    );
    assert.equal(await forks.locator(sel.FORK_HELD).isVisible(), false);
    await forks.locator(`${sel.SUBSCRIPTION_FORK_NOTES} summary`).click();
    assert.equal(await forks.locator(sel.FORK_HELD).textContent(), newer.held);
    assert.equal(await forks.locator(sel.FORK_SERVED).textContent(), newer.served);
    assert.equal(await forks.locator(sel.FORK_SERVED).isVisible(), true);
    await screenshot(admin, 'site-subscriptions-forks');
    // On a phone the notes and the long keys wrap: the page never scrolls sideways.
    await admin.setViewportSize({ width: 390, height: 800 });
    const { scroll, inner } = await admin.evaluate<{ scroll: number; inner: number }>(
      '({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })',
    );
    assert.ok(scroll <= inner, `${scroll} > ${inner}`);
    await screenshot(admin, 'site-subscriptions-forks-390');
  });
});
