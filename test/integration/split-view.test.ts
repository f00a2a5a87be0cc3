import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  openNote,
  parseCheckpoint,
  parseVerifierKey,
  verifierKeyText,
  cosignerKeyText,
} from '../../tlog/index.ts';
import { logSigner, witnessCosigner } from '../../catalog/log/log-key.ts';
import { subscribe } from '../../catalog/site/subscriptions.ts';
import { runImport } from '../../catalog/site/import-run.ts';
import { listEvidence, readFollowedLog } from '../../catalog/log/log-views.ts';
import type { DemoHierarchy } from '../../pki/index.ts';
import { FULL_SCOPE, healthSummary } from '../../catalog/site/health.ts';
import { acknowledgeFork } from '../../catalog/witness/follow.ts';
import {
  bareFeed,
  buildDemoHierarchy,
  copyDir,
  endorserDir,
  ENDORSER_SUBJECT,
  publishWith,
  removeDirs,
  serve,
  siteAt,
  type Served,
} from './helpers/log-instances.ts';

/*
 * The split view (issue 17): one endorser log key, two histories. The endorser's data
 * directory is copied after catalog 1; each copy publishes its own catalog 2 (one with
 * a "backdoor" image) and serves it to its own group of sites, each with a valid inclusion
 * proof in its own fork. Sites A and B witness each other: the second to import refuses
 * with LOG_INCONSISTENT and keeps both signed checkpoints. A site that witnesses nobody
 * accepts the fork it is shown: the check comes from witnessing, not from the proof alone.
 */
let h: DemoHierarchy;
let clean: Served;
let forked: Served;
let stale: Served;
let a: Served;
let b: Served;
let loner: Served;
let logKey: string;
const dirs: string[] = [];

before(async () => {
  h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  const base = await endorserDir(h);
  const forkDir = copyDir(base, 'fork');
  const staleDir = copyDir(base, 'stale');
  dirs.push(base, forkDir, staleDir);
  clean = await serve(base);
  forked = await serve(forkDir);
  stale = await serve(staleDir);
  await publishWith(clean.inst, 'alma9-update', 'clean');
  await publishWith(forked.inst, 'alma9-update', 'backdoor');
  logKey = verifierKeyText(await logSigner(clean.inst));
  assert.equal(verifierKeyText(await logSigner(forked.inst)), logKey, 'one key, two histories');
  [a, b, loner] = await Promise.all([siteAt(h, 'site-a'), siteAt(h, 'site-b'), siteAt(h, 'loner')]);
});

after(async () => {
  for (const s of [clean, forked, stale, a, b, loner]) await s?.close();
  removeDirs(...dirs, ...[a, b, loner].map((s) => s.dir));
});

const witnessOf = async (s: Served) =>
  `${cosignerKeyText(await witnessCosigner(s.inst))},${s.url}/witness/`;

test('the second site shown another history refuses with LOG_INCONSISTENT and keeps both checkpoints', async () => {
  await subscribe(a.inst, {
    url: `${clean.url}/feeds/cern/`,
    expectSubject: ENDORSER_SUBJECT,
    logKey,
    witnesses: [await witnessOf(b)],
    actor: 'test',
  });
  await subscribe(b.inst, {
    url: `${forked.url}/feeds/cern/`,
    expectSubject: ENDORSER_SUBJECT,
    logKey,
    witnesses: [await witnessOf(a)],
    actor: 'test',
  });
  const [first] = await runImport(a.inst, { actor: 'test' });
  assert.equal(first?.status, 'applied', first?.message);
  assert.equal(first?.sequence, 2);
  assert.deepEqual(first?.log?.cosigners, [(await witnessCosigner(b.inst)).name]);
  // B cosigned A's view: B's own view of the log is now the clean history.
  const heldByB = await readFollowedLog(b.inst.store.db, 'endorser.test');
  assert.ok(heldByB?.view, 'B, as A’s witness, holds the checkpoint it cosigned');

  const [second] = await runImport(b.inst, { actor: 'test' });
  assert.equal(second?.status, 'failed');
  assert.equal(second?.code, 'LOG_INCONSISTENT', second?.message);
  const site = await b.inst.store.db.selectFrom('site_catalogs').select('sequence').execute();
  assert.deepEqual(site, [], 'nothing of the forked catalog was applied');

  const [evidence] = await listEvidence(b.inst.store.db, { subscription: 'cern' });
  assert.ok(evidence, 'the fork is kept as evidence');
  assert.equal(evidence.foundBy, 'import');
  // Both are genuine statements of the one log key, and they cannot both be true.
  const key = parseVerifierKey(logKey);
  const held = parseCheckpoint(openNote(evidence.held, [key]).text, 'endorser.test');
  const served = parseCheckpoint(openNote(evidence.served, [key]).text, 'endorser.test');
  assert.equal(held.size, served.size, 'two trees of one size…');
  assert.notDeepEqual(Buffer.from(held.root), Buffer.from(served.root), '…with two roots');

  // Shown to the operator: `vmic status` is an error until someone acknowledges the fork.
  const forkLine = /fork of an endorser's transparency log found/;
  const before = await healthSummary(b.inst, FULL_SCOPE);
  assert.equal(before.verdict, 'error');
  assert.ok(before.problems.some((p) => forkLine.test(p.text)));
  await acknowledgeFork(b.inst, evidence.id, 'operator');
  const afterAck = await healthSummary(b.inst, FULL_SCOPE);
  assert.ok(!afterAck.problems.some((p) => forkLine.test(p.text)));
  assert.equal((await listEvidence(b.inst.store.db))[0]?.acknowledgedAt !== undefined, true);
});

test('a site that witnesses nobody accepts the fork it is shown (why witnesses matter)', async () => {
  await subscribe(loner.inst, {
    url: `${forked.url}/feeds/cern/`,
    expectSubject: ENDORSER_SUBJECT,
    logKey,
    actor: 'test',
  });
  const [r] = await runImport(loner.inst, { actor: 'test' });
  assert.equal(r?.status, 'applied', r?.message);
  // The same feed checked with A as witness: A cosigned the other history, refuses this
  // one (a 409 at the size it holds), and shows its own checkpoint as the evidence.
  await subscribe(loner.inst, {
    url: `${forked.url}/feeds/cern/`,
    name: 'cern-witnessed',
    expectSubject: ENDORSER_SUBJECT,
    logKey,
    witnesses: [await witnessOf(a)],
    actor: 'test',
  });
  const [w] = await runImport(loner.inst, { subscription: 'cern-witnessed', actor: 'test' });
  assert.equal(w?.code, 'LOG_INCONSISTENT', w?.message);
  assert.match(w?.message ?? '', /cosigned another root/);
  const [evidence] = await listEvidence(loner.inst.store.db, { subscription: 'cern-witnessed' });
  const aWitness = await witnessCosigner(a.inst);
  assert.ok(evidence?.held.includes(`\u2014 ${aWitness.name} `), 'A’s cosigned checkpoint is kept');
  // A, as witness, kept the fork it was shown too.
  const atA = await listEvidence(a.inst.store.db);
  assert.ok(atA.some((e) => e.foundBy === 'witness' && e.served.includes('endorser.test')));
});

test('a log that dropped entries (a shorter tree than one seen) is refused with LOG_INCONSISTENT', async () => {
  // The stale copy stopped after catalog 1: its tree is a prefix of what A saw, but it
  // cannot prove that, so A cannot tell it from a log that dropped entries.
  await subscribe(a.inst, {
    url: `${stale.url}/feeds/cern/`,
    name: 'cern-mirror',
    expectSubject: ENDORSER_SUBJECT,
    logKey,
    actor: 'test',
  });
  const [r] = await runImport(a.inst, { subscription: 'cern-mirror', actor: 'test' });
  assert.equal(r?.code, 'LOG_INCONSISTENT', r?.message);
  assert.match(r?.message ?? '', /fewer than the \d+ seen before/);
});

test('a catalog with no inclusion proof is refused under require, applied with a warning under warn', async () => {
  const p7m = Buffer.from(await (await fetch(`${clean.url}/feeds/cern/catalog.p7m`)).arrayBuffer());
  const bare = await bareFeed(p7m);
  try {
    await subscribe(loner.inst, {
      url: bare.url,
      name: 'bare',
      expectSubject: ENDORSER_SUBJECT,
      actor: 'test',
    });
    const [refused] = await runImport(loner.inst, { subscription: 'bare', actor: 'test' });
    assert.equal(refused?.code, 'NOT_LOGGED', refused?.message);
    await subscribe(loner.inst, {
      url: bare.url,
      name: 'bare-warn',
      expectSubject: ENDORSER_SUBJECT,
      log: 'warn',
      actor: 'test',
    });
    const [warned] = await runImport(loner.inst, { subscription: 'bare-warn', actor: 'test' });
    assert.equal(warned?.status, 'applied', warned?.message);
    assert.equal(warned?.log?.warning?.code, 'NOT_LOGGED');
  } finally {
    await bare.close();
  }
});

test('under warn a fork is applied as asked, but the view held is not grown and the fork is kept', async () => {
  const before = (await readFollowedLog(a.inst.store.db, 'endorser.test'))?.view;
  assert.ok(before, 'A holds a view of the log from its first import');
  await subscribe(a.inst, {
    url: `${forked.url}/feeds/cern/`,
    name: 'cern-fork-warn',
    expectSubject: ENDORSER_SUBJECT,
    logKey,
    log: 'warn',
    actor: 'test',
  });
  const [r] = await runImport(a.inst, { subscription: 'cern-fork-warn', actor: 'test' });
  assert.equal(r?.status, 'applied', r?.message);
  assert.equal(r?.log?.warning?.code, 'LOG_INCONSISTENT');
  // The operator chose to apply; the instance's view of the log stays the history it
  // checked, so the next import (and every site A witnesses for) still sees the fork.
  const afterward = (await readFollowedLog(a.inst.store.db, 'endorser.test'))?.view;
  assert.equal(afterward?.size, before.size);
  assert.deepEqual(Buffer.from(afterward.root), Buffer.from(before.root));
  assert.equal(afterward?.note, before.note);
  const evidence = await listEvidence(a.inst.store.db, { subscription: 'cern-fork-warn' });
  assert.equal(evidence.length, 1, 'the fork shown under warn is kept as evidence');
});
