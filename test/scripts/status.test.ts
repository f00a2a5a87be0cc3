import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { vmic } from '../helpers/cli.ts';
import { tempInstance } from '../helpers/temp-instance.ts';
import type { HealthSummary } from '../../catalog/site/health.ts';
import { setSiteIdentity } from '../../catalog/migration/site-identity.ts';
import { buildDemoHierarchy } from '../../pki/index.ts';
import { expiringIdentity } from '../helpers/expiring-identity.ts';
import {
  DAY,
  HOUR,
  importedSubscription,
  startHealthFeeds,
  type HealthFeeds,
} from '../catalog/site/helpers/health-site.ts';

// `vmic status` against sites built for real (openssl endorser, feed and mirror on
// loopback, import, fetch, approval); the command runs in its own process on the real clock.
let f: HealthFeeds;
before(async () => {
  f = await startHealthFeeds();
});
after(async () => {
  await f.stop();
});

/** A site with the subscriptions `build` imports, closed; then `vmic status` on it. */
async function statusOf(
  build: (inst: Awaited<ReturnType<typeof tempInstance>>['inst']) => Promise<void>,
): Promise<{ status: number; json: HealthSummary; human: string; humanStatus: number }> {
  const t = await tempInstance();
  try {
    await build(t.inst);
    await t.inst.close();
    const r = vmic(['status', '--data', t.dir, '--json']);
    const h = vmic(['status', '--data', t.dir]);
    assert.equal(r.stderr, '');
    return {
      status: r.status,
      json: JSON.parse(r.stdout) as HealthSummary,
      human: h.stdout,
      humanStatus: h.status,
    };
  } finally {
    await t.cleanup();
  }
}

test('healthy: imported, fetched, approved → exit 0, verdict ok, one deployable image', async () => {
  const s = await statusOf(async (inst) => {
    const o = await importedSubscription(inst, f, 'cern', {});
    assert.equal(o.status, 'applied');
  });
  assert.equal(s.status, 0, s.human);
  assert.equal(s.humanStatus, 0);
  assert.equal(s.json.verdict, 'ok');
  assert.deepEqual(s.json.problems, []);
  const sub = s.json.site?.subscriptions[0];
  assert.equal(sub?.name, 'cern');
  assert.equal(sub?.enabled, true);
  assert.deepEqual(sub?.marks, []);
  assert.equal(sub?.catalog?.sequence, 1);
  assert.ok((sub?.catalog?.expiresInSeconds ?? 0) > 29 * 86400);
  assert.equal(sub?.lastImport?.result, 'verified');
  assert.deepEqual(s.json.site?.images, {
    awaitingApproval: 0,
    quarantined: 0,
    notFetched: 0,
    deployable: 1,
    total: 1,
  });
  assert.deepEqual(s.json.site?.cache, { bytes: 48 * 1024 + 7, entries: 1 });
  assert.equal(s.json.site?.schedule, null);
  assert.equal(s.json.audit?.[0]?.action, 'approval.endorser.granted');
  assert.ok((s.json.audit?.length ?? 0) <= 10);
  assert.match(s.human, /^vmic status at .*: OK$/m);
  assert.match(s.human, /1 deployable, 0 awaiting approval, 0 quarantined, 0 not fetched/);
  assert.match(s.human, /Cache: 48 KiB in 1 image/);
  assert.match(s.human, /not scheduled in this process/);
});

test('warning: a catalog expiring within a day → exit 1, near-expiry', async () => {
  const s = await statusOf(async (inst) => {
    await importedSubscription(inst, f, 'soon', { expiresInMs: HOUR + 6 * HOUR });
  });
  assert.equal(s.status, 1, s.human);
  assert.equal(s.humanStatus, 1);
  assert.equal(s.json.verdict, 'warning');
  const sub = s.json.site?.subscriptions[0];
  assert.deepEqual(sub?.marks, ['near-expiry']);
  const left = sub?.catalog?.expiresInSeconds ?? 0;
  assert.ok(left > 0 && left <= DAY / 1000, `expires in ${left} s`);
  assert.equal(s.json.site?.images.deployable, 1);
  assert.match(s.human, /\[near-expiry\]/);
  assert.match(s.human, /expires in [56] h/);
});

test('warning: an image not fetched yet', async () => {
  const s = await statusOf(async (inst) => {
    await importedSubscription(inst, f, 'cern', { fetch: false });
  });
  assert.equal(s.status, 1, s.human);
  assert.equal(s.json.site?.images.notFetched, 1);
  assert.equal(s.json.site?.images.deployable, 0);
});

test('error: a refused import → exit 2, refused with its reason code', async () => {
  const s = await statusOf(async (inst) => {
    await importedSubscription(inst, f, 'cern', {});
    const o = await importedSubscription(inst, f, 'impostor', { wrongSubject: true });
    assert.equal(o.status, 'failed');
  });
  assert.equal(s.status, 2, s.human);
  assert.equal(s.humanStatus, 2);
  assert.equal(s.json.verdict, 'error');
  const bad = s.json.site?.subscriptions.find((x) => x.name === 'impostor');
  assert.deepEqual(bad?.marks, ['no-catalog', 'refused']);
  assert.equal(bad?.lastImport?.result, 'refused');
  assert.equal(bad?.lastImport?.code, 'SUBJECT_MISMATCH');
  const good = s.json.site?.subscriptions.find((x) => x.name === 'cern');
  assert.deepEqual(good?.marks, []);
  assert.equal(s.json.problems[0]?.level, 'error');
  assert.match(s.json.problems[0]?.text ?? '', /impostor.*refused \(SUBJECT_MISMATCH\)/);
  assert.match(s.human, /last import .* ago: refused SUBJECT_MISMATCH/);
});

test('error: a quarantined image → exit 2, counted as quarantined, not deployable', async () => {
  const s = await statusOf(async (inst) => {
    await importedSubscription(inst, f, 'cern', { mirrorLies: true });
  });
  assert.equal(s.status, 2, s.human);
  assert.equal(s.json.verdict, 'error');
  assert.deepEqual(s.json.site?.subscriptions[0]?.marks, []);
  assert.equal(s.json.site?.images.quarantined, 1);
  assert.equal(s.json.site?.images.deployable, 0);
  assert.deepEqual(s.json.site?.cache, { bytes: 0, entries: 0 });
  assert.match(s.human, /1 quarantined/);
});

test('status takes no arguments', () => {
  const r = vmic(['status', 'extra']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /does not take positional arguments/);
});

test('warning: a site certificate expiring in 10 days → exit 1, with the command to run', async () => {
  const h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  const id = await expiringIdentity(h, 10, 'CN=Site A,O=vmic test,C=CH');
  const s = await statusOf(async (inst) => {
    await setSiteIdentity(inst, { ...id, actor: 'test' });
  });
  assert.equal(s.status, 1, s.human);
  assert.equal(s.humanStatus, 1);
  assert.equal(s.json.verdict, 'warning');
  const [site] = s.json.identities;
  assert.equal(site?.kind, 'site');
  assert.equal(site?.subject, 'CN=Site A,O=vmic test,C=CH');
  assert.equal(site?.notAfter, id.notAfter.toISOString());
  assert.ok(
    (site?.expiresInSeconds ?? 0) > 9 * 86400 && (site?.expiresInSeconds ?? 0) <= 10 * 86400,
  );
  assert.deepEqual(site?.marks, ['near-expiry']);
  assert.deepEqual(
    s.json.problems.map((p) => p.level),
    ['warning'],
  );
  assert.match(
    s.json.problems[0]?.text ?? '',
    /^the site certificate expires in 9 d \d+ h \(\d{4}-\d\d-\d\d\): vmic site identity set --cert NEW.pem/,
  );
  assert.match(s.human, /^ {2}warning: the site certificate expires in 9 d/m);
  assert.match(
    s.human,
    /^Certificates\n {2}site identity: CN=Site A,O=vmic test,C=CH, expires in 9 d \d+ h \(.*Z\) {2}\[near-expiry\]$/m,
  );
});
