/**
 * The certificate expiry gauge (issue 18, rotation): each endorser's certificate and the
 * site identity's, as notAfter in Unix seconds, read from the database at each scrape.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDemoHierarchy } from '../../pki/index.ts';
import { addEndorser } from '../../catalog/endorsers.ts';
import { setSiteIdentity } from '../../catalog/migration/site-identity.ts';
import { expiringIdentity } from '../helpers/expiring-identity.ts';
import { promtool, sample, startObserved, type ObservedServer } from './metrics-helpers.ts';

const GAUGE = 'vmic_certificate_expiry_timestamp_seconds';
let s: ObservedServer;

before(async () => {
  s = await startObserved();
});
after(async () => {
  assert.deepEqual(s.errors, [], 'no error was logged');
  await s.close();
});

test('no identity: the gauge has no series', async () => {
  const text = await s.metrics();
  assert.match(text, new RegExp(`^# TYPE ${GAUGE} gauge$`, 'm'));
  assert.doesNotMatch(text, new RegExp(`^${GAUGE}\\{`, 'm'));
});

test('an endorser and the site identity: notAfter in Unix seconds, promtool-clean', async () => {
  const h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  const cern = await expiringIdentity(h, 10);
  const site = await expiringIdentity(h, 200, 'CN=Site A,O=vmic test,C=CH');
  await addEndorser(s.inst, { name: 'cern', ...cern, actor: 'test' });
  await setSiteIdentity(s.inst, { ...site, actor: 'test' });
  const text = await s.metrics();
  assert.equal(
    sample(text, `${GAUGE}{identity="endorser",name="cern"}`),
    cern.notAfter.getTime() / 1000,
  );
  assert.equal(
    sample(text, `${GAUGE}{identity="site",name="site"}`),
    site.notAfter.getTime() / 1000,
  );
  const r = promtool(['check', 'metrics'], text);
  assert.equal(r.status, 0, r.output);
});
