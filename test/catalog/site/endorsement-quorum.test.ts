import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { approveImage } from '../../../catalog/site/approvals.ts';
import { decideDeployment } from '../../../catalog/site/gate.ts';
import { readPolicy, setPolicy } from '../../../catalog/site/policy.ts';
import { removeSubscription } from '../../../catalog/site/subscriptions.ts';
import { DAY, quorumPki, quorumSite, type QuorumPki } from './helpers/quorum-site.ts';

// Issue 18 item 3: k-of-n endorsement at the site (policy endorsement-quorum).
let pki: QuorumPki;
before(() => {
  pki = quorumPki();
});
after(() => pki.cleanup());

const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);
const quorumMessage = (d: { reasons: { code: string; message: string }[] }) =>
  d.reasons.find((r) => r.code === 'QUORUM_NOT_MET')?.message ?? '';

/**
 * A site where cern lists alma9 (bytes x), fetched and approved, desy lists `others` and
 * infn lists other bytes (z), under `2 of cern,desy,infn`.
 */
async function siteWithCernAlma9(
  s: Awaited<ReturnType<typeof quorumSite>>,
  others: Parameters<typeof s.publish>[1] = [{ identifier: 'other', bytes: 'y' }],
) {
  await s.publish('cern', [{ identifier: 'alma9', bytes: 'x' }]);
  await s.publish('desy', others);
  // infn lists bytes nobody else does.
  await s.publish('infn', [{ identifier: 'other', bytes: 'z' }]);
  await s.importAndFetch();
  await approveImage(s.inst, { image: 'alma9', subscription: 'cern', actor: 'test' });
  await setPolicy(s.inst, 'endorsement-quorum', '2 of cern,desy,infn', 'test');
}

const cernAlma9 = (s: { inst: Parameters<typeof decideDeployment>[0] }) =>
  decideDeployment(s.inst, 'alma9', { subscription: 'cern' });

test('2 of 3: one endorser is refused naming who endorses; two and three are deployable', async () => {
  const s = await quorumSite(pki);
  try {
    await siteWithCernAlma9(s);
    const one = await cernAlma9(s);
    assert.deepEqual(codes(one), ['QUORUM_NOT_MET']);
    const m = quorumMessage(one);
    assert.match(m, /^2 of 3 needed/);
    assert.ok(m.includes(`cern endorses sha256:${s.x}`), m);
    assert.ok(m.includes('desy does not (not listed)'), m);
    assert.ok(m.includes('infn does not (not listed)'), m);
    assert.deepEqual(one.endorsementQuorum?.endorsing, ['cern']);
    assert.equal(one.endorsementQuorum?.met, false);

    // desy now endorses the same bytes: 2 of 3.
    await s.publish('desy', [{ identifier: 'alma9', bytes: 'x' }]);
    await s.importAndFetch();
    const two = await cernAlma9(s);
    assert.deepEqual(codes(two), []);
    assert.equal(two.deployable, true);
    assert.deepEqual(two.endorsementQuorum?.endorsing, ['cern', 'desy']);
    assert.deepEqual(
      two.endorsementQuorum?.notEndorsing.map((n) => n.subscription),
      ['infn'],
    );

    // infn too, under another identifier: the quorum is about the SHA-256.
    await s.publish('infn', [{ identifier: 'alma-9-x86', bytes: 'x' }]);
    await s.importAndFetch();
    const three = await cernAlma9(s);
    assert.equal(three.deployable, true);
    assert.deepEqual(three.endorsementQuorum?.endorsing, ['cern', 'desy', 'infn']);
  } finally {
    await s.cleanup();
  }
});

test('two subscriptions endorsing different SHA-256 under one name do not make a quorum', async () => {
  const s = await quorumSite(pki);
  try {
    await siteWithCernAlma9(s, [{ identifier: 'alma9', bytes: 'y' }]);
    const d = await cernAlma9(s);
    assert.deepEqual(codes(d), ['QUORUM_NOT_MET']);
    assert.ok(quorumMessage(d).includes(`desy does not (another SHA-256: sha256:${s.y})`));
    await approveImage(s.inst, { image: 'alma9', subscription: 'desy', actor: 'test' });
    const desy = await decideDeployment(s.inst, 'alma9', { subscription: 'desy' });
    assert.deepEqual(codes(desy), ['QUORUM_NOT_MET']);
    assert.ok(quorumMessage(desy).includes(`cern does not (another SHA-256: sha256:${s.x})`));
  } finally {
    await s.cleanup();
  }
});

test('a subscription whose catalog expired does not count towards the quorum', async () => {
  const s = await quorumSite(pki);
  try {
    await s.publish('cern', [{ identifier: 'alma9', bytes: 'x' }]);
    await s.publish('desy', [{ identifier: 'alma9', bytes: 'x' }], 2 * DAY);
    await s.publish('infn', [{ identifier: 'other', bytes: 'z' }]);
    await s.importAndFetch();
    await approveImage(s.inst, { image: 'alma9', subscription: 'cern', actor: 'test' });
    await setPolicy(s.inst, 'endorsement-quorum', '2 of cern,desy,infn', 'test');
    assert.equal((await cernAlma9(s)).deployable, true);
    s.advance(3 * DAY);
    const d = await cernAlma9(s);
    // cern's own catalog (30 days) is still current; desy's is not.
    assert.deepEqual(codes(d), ['QUORUM_NOT_MET']);
    const desy = d.endorsementQuorum?.notEndorsing.find((n) => n.subscription === 'desy');
    assert.match(desy?.why ?? '', /^CATALOG_EXPIRED: /);
    assert.deepEqual(d.endorsementQuorum?.endorsing, ['cern']);
  } finally {
    await s.cleanup();
  }
});

test('images of subscriptions outside the quorum are not affected; a removed one fails closed', async () => {
  const s = await quorumSite(pki);
  try {
    await siteWithCernAlma9(s, [{ identifier: 'alma9', bytes: 'x' }]);
    await setPolicy(s.inst, 'endorsement-quorum', '2 of cern,desy', 'test');
    assert.equal((await cernAlma9(s)).deployable, true);
    // infn is not named: its image is decided as before, with no quorum in the answer.
    await approveImage(s.inst, { image: 'other', subscription: 'infn', actor: 'test' });
    const other = await decideDeployment(s.inst, 'other', { subscription: 'infn' });
    assert.equal(other.deployable, true);
    assert.equal(other.endorsementQuorum, undefined);
    // desy removed: the quorum keeps naming it, and it counts as not endorsing.
    await removeSubscription(s.inst, 'desy', 'test');
    const d = await cernAlma9(s);
    assert.deepEqual(codes(d), ['QUORUM_NOT_MET']);
    assert.ok(quorumMessage(d).includes('desy does not (subscription removed'), quorumMessage(d));
  } finally {
    await s.cleanup();
  }
});

test('policy endorsement-quorum refuses K=0, K>n, unknown and repeated subscriptions', async () => {
  const s = await quorumSite(pki);
  try {
    const refused = async (value: string, message: RegExp) =>
      assert.rejects(setPolicy(s.inst, 'endorsement-quorum', value, 'test'), (e: Error) => {
        assert.equal((e as Error & { code?: string }).code, 'BAD_REQUEST');
        assert.match(e.message, message);
        return true;
      });
    await refused('0 of cern,desy', /between 1 and the number of subscriptions named \(2\), got 0/);
    await refused('4 of cern,desy,infn', /between 1 and .*\(3\), got 4/);
    await refused('2 of cern,nope', /no subscription named nope/);
    await refused('2 of cern,cern', /named twice/);
    await refused('two of cern', /expected K of a,b,c/);
    assert.equal((await readPolicy(s.inst.store.db)).endorsementQuorum, undefined);
    const set = await setPolicy(s.inst, 'endorsement-quorum', '3 of cern,desy,infn', 'test');
    assert.equal(set.endorsementQuorum, '3 of cern,desy,infn');
    const unset = await setPolicy(s.inst, 'endorsement-quorum', undefined, 'test');
    assert.equal(unset.endorsementQuorum, undefined);
  } finally {
    await s.cleanup();
  }
});
