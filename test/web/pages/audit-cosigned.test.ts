import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { addImageFromStream, publishCatalog, type Instance } from '../../../catalog/index.ts';
import { logSigner, witnessCosigner } from '../../../catalog/log/log-key.ts';
import { addLogWitness } from '../../../catalog/log/log-witnesses.ts';
import { followCommandLog } from '../../../catalog/witness/follow.ts';
import { syntheticImage } from '../../../scripts/fixtures/published-endorser.ts';
import {
  cosignerKeyText,
  openNote,
  parseCheckpoint,
  parseCosignerKey,
  verifierKeyText,
  verifyCosignatures,
} from '../../../tlog/index.ts';
import {
  removeDirs,
  serve,
  tempDir,
  type Served,
} from '../../integration/helpers/log-instances.ts';
import {
  launchBrowser,
  screenshot,
  signIn,
  startPagesServer,
  type PagesServer,
} from './helpers.ts';
import * as sel from './selectors.ts';

/*
 * The audit page's checkpoint summary counts witness cosignatures (docs/design.md §13).
 * The web instance E publishes; a second real vmic instance W, served on loopback and
 * following E's log, is asked by E to cosign at publish (add-checkpoint). The log keeps
 * growing after a publish, so the page also names the newest checkpoint that was cosigned.
 */
describe('web audit page: witness cosignatures of the log', () => {
  let s: PagesServer;
  let w: Served;
  let browser: Browser;
  let page: Page;
  let witnessKey: string;

  const SUMMARY = `${sel.AUDIT_CHECKPOINT} summary`;
  const NOTE = `${sel.AUDIT_CHECKPOINT} pre.note`;

  before(async () => {
    s = await startPagesServer({ endorsers: ['cern'] });
    w = await serve(tempDir('witness'));
    await followCommandLog(w.inst, {
      key: verifierKeyText(await logSigner(s.inst)),
      url: `${s.inst.config.publicUrl}/log/`,
      actor: 'test',
    });
    witnessKey = cosignerKeyText(await witnessCosigner(w.inst));
    browser = await launchBrowser();
    ({ page } = await signIn(browser, s.url, 'audrey', 'auditor'));
  });
  after(async () => {
    await browser?.close();
    await s?.close();
    await w?.close();
    if (w) removeDirs(w.dir);
    assert.deepEqual(s.logs, []);
  });

  async function addImage(inst: Instance, identifier: string): Promise<void> {
    await addImageFromStream(inst, {
      endorser: 'cern',
      identifier,
      metadata: { title: `Image ${identifier}`, arch: 'x86_64', format: 'qcow2' },
      actor: 'test',
      source: syntheticImage(`audit-cosigned/${identifier}`, 4096),
    });
  }

  /** The stored checkpoints, newest first: what the page must summarize. */
  async function checkpoints() {
    const rows = await s.inst.store.db
      .selectFrom('log_checkpoints')
      .select(['size', 'note', 'cosignatures'])
      .orderBy('size', 'desc')
      .execute();
    return rows.map((r) => ({
      size: Number(r.size),
      note: r.note,
      cosignatures: Number(r.cosignatures),
    }));
  }

  /** "Checkpoint N of <origin>, root <root>, " for the latest stored checkpoint. */
  async function headOfSummary(latest: { size: number; note: string }): Promise<string> {
    const signer = await logSigner(s.inst);
    const cp = parseCheckpoint(openNote(latest.note, [signer]).text, signer.name);
    assert.equal(cp.size, latest.size);
    const root = Buffer.from(cp.root).toString('base64');
    return `Checkpoint ${cp.size} of ${signer.name}, root ${root}, `;
  }

  async function cosignedBy(note: string): Promise<number> {
    const found = verifyCosignatures(note, [parseCosignerKey(witnessKey)], new Date());
    for (const c of found) assert.equal(c.by.name, (await witnessCosigner(w.inst)).name);
    return found.length;
  }

  test('a publish without witnesses: cosigned by 0 witnesses, no newest cosigned', async () => {
    await addImage(s.inst, 'alma9');
    await publishCatalog(s.inst, { endorser: 'cern', actor: 'test' });
    await page.goto('/audit');
    const [latest, ...older] = await checkpoints();
    assert.ok(latest);
    assert.equal(latest.cosignatures, 0);
    assert.ok(older.every((c) => c.cosignatures === 0));
    const summary = (await page.textContent(SUMMARY)) ?? '';
    assert.equal(summary, `${await headOfSummary(latest)}cosigned by 0 witnesses`);
    assert.doesNotMatch(summary, /newest cosigned/);
    assert.equal(await page.textContent(NOTE), latest.note);
  });

  test('after a publish W cosigned: 1 witness, then the newest cosigned once the log grows', async () => {
    await addLogWitness(s.inst, { key: witnessKey, url: `${w.url}/witness/`, actor: 'test' });
    await addImage(s.inst, 'debian12');
    const published = await publishCatalog(s.inst, { endorser: 'cern', actor: 'test' });
    assert.equal(published.sequence, 2);

    // Nothing was logged since the publish: the latest checkpoint is the cosigned one.
    await page.goto('/audit');
    const [cosigned] = await checkpoints();
    assert.ok(cosigned);
    assert.equal(cosigned.cosignatures, 1);
    assert.equal(
      await page.textContent(SUMMARY),
      `${await headOfSummary(cosigned)}cosigned by 1 witness`,
    );
    const shown = (await page.textContent(NOTE)) ?? '';
    assert.equal(shown, cosigned.note);
    assert.equal(await cosignedBy(shown), 1, 'the note on the page carries W’s cosignature');

    // The log grows with the next audit entry; nobody cosigns that checkpoint.
    await addImage(s.inst, 'fedora41');
    await page.goto('/audit');
    const [latest] = await checkpoints();
    assert.ok(latest && latest.size > cosigned.size);
    assert.equal(latest.cosignatures, 0);
    assert.equal(
      await page.textContent(SUMMARY),
      `${await headOfSummary(latest)}cosigned by 0 witnesses; ` +
        `the newest cosigned is checkpoint ${cosigned.size}, by 1 witness`,
    );
    assert.equal(await page.textContent(NOTE), latest.note);
    assert.equal(await cosignedBy(latest.note), 0);

    // The catalog's proof is served under that newest cosigned checkpoint, W's line verifying.
    const res = await fetch(`${s.url}/log/proof/catalog/cern/${published.sequence}`);
    assert.equal(res.status, 200);
    const proof = (await res.json()) as { treeSize: number; checkpoint: string };
    assert.equal(proof.treeSize, cosigned.size);
    assert.equal(proof.checkpoint, cosigned.note);
    openNote(proof.checkpoint, [await logSigner(s.inst)]);
    assert.equal(await cosignedBy(proof.checkpoint), 1);
  });

  test('the longer summary wraps at 1280 and 390 px without sideways scrolling', async () => {
    await page.goto('/audit');
    await page.click(SUMMARY);
    assert.equal(await page.locator(NOTE).isVisible(), true);
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      const [doc, win] = await page.evaluate<[number, number]>(
        '[document.documentElement.scrollWidth, window.innerWidth]',
      );
      assert.ok(doc <= win, `document ${doc} px wide in a ${win} px window`);
      const box = await page.locator(SUMMARY).boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= win, JSON.stringify(box));
      await screenshot(page, `audit-cosigned-${width}`);
    }
  });
});
