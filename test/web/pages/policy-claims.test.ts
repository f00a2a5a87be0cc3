import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { derToPem } from '../../../pki/index.ts';
import { registerImageByUrl } from '../../../catalog/images.ts';
import { getImage } from '../../../catalog/image-queries.ts';
import { getEndorserClaims } from '../../../catalog/policy-claims.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { getSubscription } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
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

/*
 * The web admin's policy claims (issue 19 part 3): the "Policies" field of an endorser's
 * image page and of its endorser page (one IRI a line), the subscribe form's required
 * policies and provenance checkbox, the subscription list showing and changing them, and
 * the gate page naming the claims and what is missing. Screenshots at 1280 and 390 px.
 */
const EGI = 'https://documents.egi.eu/document/771';
const WLCG = 'urn:example:wlcg:vm-policy';
const DAY = 86400_000;
const tid = (id: string) => `[data-testid="${id}"]`;

describe('web admin: policy claims', () => {
  let s: PagesServer;
  let browser: Browser;
  let pki: Scenario;
  let feed: Awaited<ReturnType<typeof startFeedServer>>;
  let admin: Page;

  before(async () => {
    pki = await scenario();
    feed = await startFeedServer();
    s = await startPagesServer({ endorsers: ['cern'], now: () => FIXTURE_TIME });
    await registerImageByUrl(s.inst, {
      endorser: 'cern',
      identifier: 'alma9',
      metadata: { title: 'AlmaLinux 9' },
      url: 'https://images.example/alma9.qcow2',
      sha256: 'ab'.repeat(32),
      size: 1024,
      actor: 'test',
    });
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

  async function shots(name: string): Promise<void> {
    for (const width of [1280, 390]) {
      await admin.setViewportSize({ width, height: 900 });
      await screenshot(admin, `${name}-${width}`);
    }
    await admin.setViewportSize({ width: 1366, height: 900 });
  }

  test('the image page sets the image’s policies, one a line; a bad IRI is refused', async () => {
    await admin.goto('/endorsers/cern/images/alma9');
    await admin.fill(tid('policies-iris'), `  ${WLCG}\n\n${EGI}\n`);
    await Promise.all([admin.waitForURL('**?saved=policies'), admin.click(tid('policies-submit'))]);
    assert.deepEqual((await getImage(s.inst, 'cern', 'alma9')).conformsTo, [EGI, WLCG].sort());
    assert.equal(await admin.inputValue(tid('policies-iris')), [EGI, WLCG].sort().join('\n'));
    await admin.locator(tid('policies-panel')).scrollIntoViewIfNeeded();
    await shots('policy-claims-image');

    const bad = await post(admin, '/endorsers/cern/images/alma9/conforms-to', {
      conformsTo: 'ftp://example.org/policy',
    });
    assert.equal(bad.status, 400);
    assert.deepEqual((await getImage(s.inst, 'cern', 'alma9')).conformsTo, [EGI, WLCG].sort());
  });

  test('the endorser page sets the policies of the whole catalog; empty clears them', async () => {
    await admin.goto('/endorsers/cern');
    await admin.fill(tid('catalog-policies-iris'), EGI);
    await Promise.all([
      admin.waitForURL('**?claims=saved'),
      admin.click(tid('catalog-policies-submit')),
    ]);
    assert.ok(await admin.isVisible(tid('catalog-policies-saved')));
    assert.deepEqual(await getEndorserClaims(s.inst.store.db, 'cern'), [EGI]);
    await shots('policy-claims-endorser');
    await admin.fill(tid('catalog-policies-iris'), '');
    await Promise.all([
      admin.waitForURL('**?claims=saved'),
      admin.click(tid('catalog-policies-submit')),
    ]);
    assert.deepEqual(await getEndorserClaims(s.inst.store.db, 'cern'), []);
  });

  test('subscribe requiring a policy and provenance; the list shows and changes them; the gate names what is missing', async () => {
    await admin.goto('/site/subscriptions');
    await admin.fill(tid('subscribe-url'), feed.url);
    await admin.fill(tid('subscribe-subject'), NAMES.leaf);
    await admin.selectOption(tid('subscribe-log'), 'off');
    await admin.fill(tid('subscribe-require-policies'), `${EGI}\n`);
    await admin.check(tid('subscribe-verify-provenance'));
    await admin.locator(tid('subscribe-form')).scrollIntoViewIfNeeded();
    await shots('policy-claims-subscribe-form');
    await Promise.all([
      admin.waitForURL('**/site/subscriptions'),
      admin.click(tid('subscribe-submit')),
    ]);
    let sub = await getSubscription(s.inst.store.db, 'fx');
    assert.deepEqual([sub.requirePolicies, sub.verifyProvenance], [[EGI], true]);
    const row = admin.locator('[data-testid="subscription-row"][data-name="fx"]');
    assert.equal(await row.locator(tid('subscription-required-policies')).textContent(), EGI);
    assert.ok(await row.locator(tid('subscription-verifies-provenance')).isVisible());

    // A catalog whose image claims nothing: imported, and the gate says POLICY_NOT_MET.
    feed.serve(
      await signedCatalog({
        signer: pki.leaf,
        chain: [pki.intermediate.certificate],
        sequence: 1,
        issued: new Date(FIXTURE_TIME.getTime() - DAY),
        expires: new Date(FIXTURE_TIME.getTime() + 10 * DAY),
        images: [{ identifier: 'rocky9', sha256: 'cd'.repeat(32), byteSize: 10 }],
      }),
    );
    assert.equal((await runImport(s.inst, { actor: 'test' }))[0]?.status, 'applied');
    await admin.goto('/site/gate/rocky9');
    const reasons = admin.locator(`${tid('gate-reasons')} li[data-code="POLICY_NOT_MET"]`);
    assert.equal(await reasons.count(), 1);
    assert.match((await admin.textContent(tid('gate-claims-missing'))) ?? '', new RegExp(EGI));
    assert.match((await admin.textContent(tid('gate-claims'))) ?? '', /the image claims no policy/);
    await shots('policy-claims-gate');

    // Changing the requirements from the list: the emptied field requires no policy.
    await admin.goto('/site/subscriptions');
    const edit = admin.locator('[data-testid="subscription-row"][data-name="fx"]');
    await edit.locator(`${tid('requirements-edit')} summary`).click();
    assert.equal(await edit.locator(tid('requirements-policies')).inputValue(), EGI);
    await edit.locator(tid('requirements-policies')).fill(`${EGI}\n${WLCG}`);
    await edit.locator(tid('requirements-provenance')).uncheck();
    await shots('policy-claims-subscriptions');
    await Promise.all([
      admin.waitForURL('**/site/subscriptions'),
      edit.locator(tid('requirements-submit')).click(),
    ]);
    sub = await getSubscription(s.inst.store.db, 'fx');
    assert.deepEqual([sub.requirePolicies, sub.verifyProvenance], [[EGI, WLCG].sort(), false]);
    assert.equal(
      await admin.locator(tid('subscription-verifies-provenance')).count(),
      0,
      'no longer shown',
    );
  });
});
