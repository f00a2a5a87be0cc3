import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { MigrationLog, recordRefusedTransfer } from '../../../catalog/migration/records.ts';
import { VmicError } from '../../../errors/index.ts';
import {
  get,
  launchBrowser,
  screenshot,
  signIn,
  startPagesServer,
  type PagesServer,
  type PageElement,
} from './helpers.ts';

let server: PagesServer;
let browser: Browser;

before(async () => {
  server = await startPagesServer({ endorsers: ['x'] });
  browser = await launchBrowser();
  // Two recorded migrations, through the same stage log a real migration writes: one
  // complete, one that failed in Transfer.
  const ok = new MigrationLog(server.inst, '11111111-1111-4111-8111-111111111111', 'test');
  await ok.create({
    direction: 'outgoing',
    peer: 'site-b',
    target: 'http://site-b.test',
    image: 'cern/alma9',
    sha256: 'a'.repeat(64),
    byteSize: 10,
  });
  await ok.stage('export', () => Promise.resolve({ result: undefined, detail: {} }));
  await ok.stage('transfer', () => Promise.resolve({ result: undefined, detail: {} }));
  await ok.finish('done');
  const bad = new MigrationLog(server.inst, '22222222-2222-4222-8222-222222222222', 'test');
  await bad.create({
    direction: 'outgoing',
    peer: 'site-c',
    target: 'http://site-c.test',
    image: 'cern/alma9',
    sha256: 'a'.repeat(64),
    byteSize: 10,
  });
  await bad.stage('export', () => Promise.resolve({ result: undefined, detail: {} }));
  await assert.rejects(
    bad.stage('transfer', () =>
      Promise.reject(new VmicError('WRONG_RECIPIENT', 'addressed elsewhere')),
    ),
  );
  await bad.finish('failed', { code: 'WRONG_RECIPIENT', message: 'addressed elsewhere' });
  // A transfer refused at the manifest stage, recorded as the receiver records it.
  await recordRefusedTransfer(
    server.inst,
    {
      code: 'UNKNOWN_PEER',
      rule: 'peers',
      message: 'CN=Stranger,O=elsewhere is not a peer of this site',
      via: 'http from 192.0.2.7',
      claimedSender: { subject: 'CN=Stranger,O=elsewhere', verified: false },
      peer: undefined,
      migrationId: undefined,
      image: 'cern/alma9',
    },
    'peer-transfer',
  );
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('the migrations page shows each migration with its stage progress', async () => {
  const { page } = await signIn(browser, server.url, 'ops', 'auditor');
  await page.goto('/site/migrations');
  const stages = (id: string) =>
    page.locator(`[data-testid="migration"][data-id="${id}"] [data-testid="migration-stage"]`);
  assert.deepEqual(
    await stages('11111111-1111-4111-8111-111111111111').evaluateAll((els: PageElement[]) =>
      els.map((e) => `${e.getAttribute('data-stage')}:${e.getAttribute('data-state')}`),
    ),
    ['export:done', 'transfer:done'],
  );
  assert.deepEqual(
    await stages('22222222-2222-4222-8222-222222222222').evaluateAll((els: PageElement[]) =>
      els.map((e) => `${e.getAttribute('data-stage')}:${e.getAttribute('data-state')}`),
    ),
    ['export:done', 'transfer:failed'],
  );
  assert.match(
    await page.locator('[data-id="22222222-2222-4222-8222-222222222222"]').innerText(),
    /WRONG_RECIPIENT/,
  );
  const refused = page.locator('[data-testid="migration"][data-id^="refused-"]');
  assert.equal(await refused.count(), 1);
  assert.equal(await refused.locator('[data-testid="migration-state"]').innerText(), 'refused');
  assert.equal(
    await refused.locator('[data-testid="migration-reason"]').innerText(),
    'UNKNOWN_PEER',
  );
  assert.match(
    await refused.locator('[data-testid="claimed-sender"]').innerText(),
    /claimed sender: CN=Stranger,O=elsewhere \(unverified\)/,
  );
  await screenshot(page, 'site-migrations');
  assert.deepEqual(server.logs, []);
});

test('an endorser may not read the migrations page', async () => {
  const { page } = await signIn(browser, server.url, 'e', 'endorser:x');
  assert.equal(await get(page, '/site/migrations'), 403);
});
