import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { publishCatalog, registerImageByUrl } from '../../../catalog/index.ts';
import { addCosigner } from '../../../catalog/cosign/cosigners.ts';
import { setThreshold } from '../../../catalog/cosign/threshold.ts';
import { signedDataParts } from '../../../pki/cms-cosign.ts';
import {
  opensslLeaf,
  opensslOk,
  opensslRoot,
  type IssuedCert,
} from '../../helpers/openssl/index.ts';
import { launchBrowser, post, screenshot, signIn, startPagesServer } from './helpers.ts';
import type { PageElement, PagesServer } from './helpers.ts';
import * as sel from './selectors.ts';

/*
 * The pending catalog of a co-signed endorser on the web (docs/design.md §3): cern needs 2
 * signatures, its own and one of `security` (key held here, a long subject) or `partner`
 * (signs elsewhere with stock openssl). Only `cosigner:cern/SIGNER` signs as SIGNER.
 */
describe('web pending catalog: co-signers sign in their own sign-in', () => {
  let s: PagesServer;
  let browser: Browser;
  let dir: string;
  const ids: Record<'security' | 'partner', IssuedCert> = {} as never;
  const SECURITY_CN = 'CERN Virtual Machine Image Catalog Security Signing Officer';

  before(async () => {
    s = await startPagesServer({ endorsers: ['cern'] });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-pending-pages-'));
    const root = opensslRoot(path.join(dir, 'ca'), 'root', '/O=vmic test/CN=Cosigner Root');
    ids.security = opensslLeaf(
      root,
      'security',
      `/O=European Organization for Nuclear Research/OU=Computer Security Team/OU=Virtual Machine Image Catalog Signing/CN=${SECURITY_CN}`,
    );
    ids.partner = opensslLeaf(root, 'partner', '/O=Partner Lab/CN=Partner Signer');
    await addCosigner(s.inst, {
      endorser: 'cern',
      name: 'security',
      certificatePem: fs.readFileSync(ids.security.certFile, 'utf8'),
      keyPem: fs.readFileSync(ids.security.keyFile, 'utf8'),
      actor: 'test',
    });
    await addCosigner(s.inst, {
      endorser: 'cern',
      name: 'partner',
      certificatePem: fs.readFileSync(ids.partner.certFile, 'utf8'),
      external: true,
      actor: 'test',
    });
    await setThreshold(s.inst, { endorser: 'cern', threshold: 2, actor: 'test' });
    await register('alma9');
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(s.logs, []);
  });

  async function register(identifier: string): Promise<void> {
    await registerImageByUrl(s.inst, {
      endorser: 'cern',
      identifier,
      metadata: { title: `Image ${identifier}` },
      actor: 'test',
      url: `https://mirror.example/${identifier}.qcow2`,
      sha256: crypto.createHash('sha256').update(identifier).digest('hex'),
      size: 4096,
    });
  }

  /** How many SignerInfos the feed's detached signature of catalog `sequence` holds. */
  async function servedSigners(sequence: number): Promise<number> {
    const res = await fetch(`${s.url}/feeds/cern/${sequence}/catalog.p7s`);
    assert.equal(res.status, 200);
    return signedDataParts(new Uint8Array(await res.arrayBuffer())).signerInfos.length;
  }

  /** `openssl cms -sign` as an external co-signer runs it over `file`, DER out. */
  function opensslSign(signer: IssuedCert, file: string): string {
    const out = `${file}.p7s`;
    opensslOk(
      ['cms', '-sign', '-binary', '-in', file, '-signer', signer.certFile, '-inkey'].concat([
        signer.keyFile,
        '-outform',
        'DER',
        '-out',
        out,
        '-nosmimecap',
      ]),
    );
    return out;
  }

  /** The pending N-Quads as the page's link serves them. */
  async function download(page: Page, name: string): Promise<string> {
    const res = await page.request.get('/endorsers/cern/pending/catalog.nq');
    assert.equal(res.status(), 200);
    assert.equal(res.headers()['content-type'], 'application/n-quads');
    assert.match(res.headers()['content-disposition'] ?? '', /^attachment; filename="cern-/);
    const file = path.join(dir, name);
    fs.writeFileSync(file, await res.body());
    return file;
  }

  test('the endorser publishes: pending, shown to it without a sign button', async () => {
    const { page } = await signIn(browser, s.url, 'eve', 'endorser:cern');
    await page.goto('/endorsers/cern/publish');
    await Promise.all([
      page.waitForURL('**/endorsers/cern?pending=1&needed=1'),
      page.click(sel.PUBLISH_SUBMIT),
    ]);
    await Promise.all([
      page.waitForURL('**/endorsers/cern/pending'),
      page.click(sel.PENDING_NOTICE_LINK),
    ]);
    assert.equal(await page.textContent(sel.PENDING_SEQUENCE), '1');
    assert.match(
      (await page.textContent(sel.PENDING_THRESHOLD)) ?? '',
      /1 of 2 signatures; 1 more/,
    );
    assert.deepEqual(
      await page
        .locator(`${sel.PENDING_SIGNED} li`)
        .evaluateAll((l) =>
          l.map((e) => (e as unknown as PageElement).getAttribute('data-signer')),
        ),
      ['cern'],
    );
    assert.equal(await page.locator(`${sel.PENDING_NOT_YET} li`).count(), 2);
    assert.equal(await page.locator(`${sel.PREVIEW_ADDED} li[data-identifier="alma9"]`).count(), 1);
    assert.equal(await page.locator(sel.SIGN_SUBMIT).count(), 0);
    assert.equal(await page.locator(sel.SIGN_NONE).count(), 1);
    const nq = fs.readFileSync(await download(page, 'eve.nq'));
    const [pending] = await s.inst.store.db
      .selectFrom('pending_catalogs')
      .select('nquads_sha256')
      .execute();
    assert.equal(crypto.createHash('sha256').update(nq).digest('hex'), pending?.nquads_sha256);
    // A forged POST from the endorser role: refused before anything is signed.
    assert.equal((await post(page, '/endorsers/cern/pending/sign/security', {})).status, 403);
    // The endorser page links the pending catalog without the notice too.
    await page.goto('/endorsers/cern');
    assert.equal(await page.locator(sel.PENDING_LINK).count(), 1);
    await page.context().close();
  });

  test('the security co-signer sees the diff and signers, signs, and it is published', async () => {
    const { page } = await signIn(browser, s.url, 'sam', 'cosigner:cern/security');
    await page.goto('/endorsers/cern/pending');
    assert.match((await page.textContent(sel.PENDING_NOT_YET)) ?? '', new RegExp(SECURITY_CN));
    assert.equal(await page.locator(sel.SIGN_SUBMIT).count(), 1);
    assert.equal(await page.textContent(sel.SIGN_SUBMIT), 'Sign as security');
    // Another co-signer's name is not this person's to sign as.
    assert.equal((await post(page, '/endorsers/cern/pending/sign/partner', {})).status, 403);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const [doc, win] = await page.evaluate<[number, number]>(
        '[document.documentElement.scrollWidth, window.innerWidth]',
      );
      assert.ok(doc <= win, `document ${doc} px wide in a ${win} px window`);
      await screenshot(page, `pending-catalog-${width}`);
    }
    await Promise.all([
      page.waitForURL('**/endorsers/cern/pending?published=1'),
      page.click(sel.SIGN_SUBMIT),
    ]);
    assert.match((await page.textContent(sel.PUBLISHED_NOTICE)) ?? '', /sequence 1/);
    assert.equal(await servedSigners(1), 2);
    await page.context().close();
  });

  test('an external co-signer uploads an openssl signature; other bytes and another key are refused', async () => {
    await register('debian12');
    const version = await publishCatalog(s.inst, { endorser: 'cern', actor: 'test' });
    assert.equal(version.pending?.needed, 1);
    const { page } = await signIn(browser, s.url, 'pat', 'cosigner:cern/partner');
    await page.goto('/endorsers/cern/pending');
    assert.equal(await page.locator(sel.SIGN_SUBMIT).count(), 0, 'partner has no key here');
    assert.equal(
      await page.locator(`${sel.PREVIEW_ADDED} li[data-identifier="debian12"]`).count(),
      1,
    );
    const nq = await download(page, 'partner.nq');

    const other = path.join(dir, 'other.nq');
    fs.writeFileSync(other, fs.readFileSync(nq, 'utf8').replace('debian12', 'debian13'));
    const upload = async (file: string) => {
      await page.goto('/endorsers/cern/pending');
      await page.setInputFiles(sel.SIGNATURE_FILE, file);
      await page.click(sel.SIGNATURE_SUBMIT);
      await page.waitForLoadState();
    };
    await upload(opensslSign(ids.partner, other));
    assert.equal(await page.textContent(sel.ERROR_STATUS), '422');
    assert.equal(await page.textContent(sel.ERROR_CODE), 'SIGNATURE_INVALID');
    assert.ok(((await page.textContent(sel.ERROR_MESSAGE)) ?? '').length > 0);

    await upload(opensslSign(ids.security, nq));
    assert.equal(await page.textContent(sel.ERROR_CODE), 'SUBJECT_MISMATCH');
    assert.match((await page.textContent(sel.ERROR_MESSAGE)) ?? '', /not by co-signer partner/);

    await upload(opensslSign(ids.partner, nq));
    assert.match(page.url(), /\/endorsers\/cern\/pending\?published=2$/);
    assert.equal(await servedSigners(2), 2);
    await page.context().close();
  });
});
