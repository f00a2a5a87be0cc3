import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDemoHierarchy, type DemoHierarchy } from '../../../pki/index.ts';
import { policyIriProblem } from '../../../catalog/policy-iri.ts';
import { getEndorserClaims } from '../../../catalog/policy-claims.ts';
import { getImage } from '../../../catalog/image-queries.ts';
import { previewPublish } from '../../../catalog/publish-preview.ts';
import { iterateAudit } from '../../../catalog/audit/audit-log.ts';
import { getSubscription } from '../../../catalog/site/subscriptions.ts';
import { policyClaimsMet } from '../../../catalog/site/gate-policy-claims.ts';
import type { ListingFacts } from '../../../catalog/site/gate-rules.ts';
import {
  addPublishedEndorser,
  demoEndorserIdentity,
} from '../../../scripts/fixtures/published-endorser.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { vmic } from '../../helpers/cli.ts';

/*
 * Policy claims (issue 19 part 3) through the real `vmic` command: the endorser's claims on
 * an image and on its catalog, refused IRIs, the publish preview and the audit; a site's
 * required policies and provenance flag, stored, shown and changed. The end-to-end gate is
 * in test/integration/policy-claims.test.ts, HEPiX in test/catalog/hepix/policy-claims.test.ts.
 */
const EGI = 'https://documents.egi.eu/document/771';
const WLCG = 'urn:example:wlcg:vm-policy';
const SHA = 'ab'.repeat(32);
let h: DemoHierarchy;
let t: Awaited<ReturnType<typeof tempInstance>>;

before(async () => {
  h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  t = await tempInstance();
  await addPublishedEndorser(t.inst, {
    name: 'cern',
    identity: await demoEndorserIdentity(h),
    images: { synthetic: [{ identifier: 'alma9', metadata: { title: 'Alma 9' }, size: 1024 }] },
    actor: 'test',
  });
});
after(async () => {
  await t?.cleanup();
});

const run = (...args: string[]) => vmic([...args, '--data', t.dir]);
async function actions(prefix: string): Promise<{ action: string; details: string }[]> {
  const out = [];
  for await (const r of iterateAudit(t.inst.store.db))
    if (r.action.startsWith(prefix)) out.push({ action: r.action, details: r.details });
  return out;
}

test('policy IRIs: absolute http(s) or urn, bounded; anything else is named as refused', () => {
  for (const ok of [
    EGI,
    'http://example.org/p',
    WLCG,
    'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66',
  ])
    assert.equal(policyIriProblem(ok), undefined, ok);
  for (const bad of [
    '',
    'policy',
    '/relative/path',
    'ftp://example.org/p',
    'javascript:alert(1)',
    'https://example.org/a b',
    'https://example.org/<x>',
    'urn:',
    `https://example.org/${'x'.repeat(2048)}`,
  ])
    assert.ok(policyIriProblem(bad), `accepted ${JSON.stringify(bad.slice(0, 40))}`);
});

test('vmic image add --conforms-to, image conforms-to, endorser conforms-to: stored, audited, previewed', async () => {
  const add = run(
    'image',
    'add',
    '--endorser',
    'cern',
    '--identifier',
    'rocky9',
    '--title',
    'Rocky 9',
    '--url',
    'https://images.example/rocky9.qcow2',
    '--sha256',
    SHA,
    '--size',
    '1024',
    '--conforms-to',
    EGI,
    '--conforms-to',
    WLCG,
  );
  assert.equal(add.status, 0, add.stderr);
  assert.match(add.stdout, new RegExp(`conforms to: ${EGI}`));
  assert.deepEqual((await getImage(t.inst, 'cern', 'rocky9')).conformsTo, [EGI, WLCG].sort());

  const set = run('image', 'conforms-to', 'alma9', '--endorser', 'cern', EGI);
  assert.equal(set.status, 0, set.stderr);
  assert.deepEqual((await getImage(t.inst, 'cern', 'alma9')).conformsTo, [EGI]);
  const preview = await previewPublish(t.inst, 'cern');
  assert.deepEqual(
    preview.changed.map((c) => [c.identifier, c.fields]),
    [['alma9', ['conformsTo']]],
    'a claim added to a published image is a change of it',
  );

  const cat = run('endorser', 'conforms-to', 'cern', WLCG);
  assert.equal(cat.status, 0, cat.stderr);
  assert.deepEqual(await getEndorserClaims(t.inst.store.db, 'cern'), [WLCG]);
  assert.deepEqual((await previewPublish(t.inst, 'cern')).catalogClaims, {
    published: [],
    next: [WLCG],
  });

  const audit = await actions('');
  const claimSets = audit.filter((a) => a.action.endsWith('claims-set'));
  assert.deepEqual(
    claimSets.map((a) => [
      a.action,
      (JSON.parse(a.details) as { conformsTo: string[] }).conformsTo,
    ]),
    [
      ['image.claims-set', [EGI]],
      ['endorser.claims-set', [WLCG]],
    ],
  );

  const clear = run('image', 'conforms-to', 'alma9', '--clear');
  assert.equal(clear.status, 0, clear.stderr);
  assert.equal((await getImage(t.inst, 'cern', 'alma9')).conformsTo, undefined);
  assert.deepEqual(JSON.parse((await actions('image.claims-set')).at(-1)!.details), {
    conformsTo: [],
    previous: [EGI],
  });
});

test('an invalid or excess claim is refused and nothing changes; --clear and IRIs together is a usage error', async () => {
  const before = await getImage(t.inst, 'cern', 'rocky9');
  const bad = run('image', 'conforms-to', 'rocky9', 'ftp://example.org/policy');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /http\(s\) or urn/);
  const many = Array.from({ length: 17 }, (_, i) => `urn:example:p:${i}`);
  const excess = run('endorser', 'conforms-to', 'cern', ...many);
  assert.notEqual(excess.status, 0);
  assert.match(excess.stderr, /17 policy claims \(at most 16\)/);
  const both = run('image', 'conforms-to', 'rocky9', EGI, '--clear');
  assert.equal(both.status, 2, both.stderr);
  const addBad = run(
    'image',
    'add',
    '--endorser',
    'cern',
    '--identifier',
    'bad',
    '--title',
    'Bad',
    '--url',
    'https://images.example/bad.qcow2',
    '--sha256',
    SHA,
    '--size',
    '1',
    '--conforms-to',
    'not an iri',
  );
  assert.notEqual(addBad.status, 0);
  await assert.rejects(getImage(t.inst, 'cern', 'bad'), /no image bad/);
  assert.deepEqual(await getImage(t.inst, 'cern', 'rocky9'), before);
  assert.deepEqual(await getEndorserClaims(t.inst.store.db, 'cern'), [WLCG]);
});

test('vmic subscribe --require-policy --verify-provenance; subscription set changes them; list shows them', async () => {
  const sub = run(
    'subscribe',
    'https://endorser.example/feeds/cern/',
    '--name',
    'cern',
    '--expect-subject',
    'CN=vmic Demo Endorser,O=vmic demo,C=CH',
    '--require-policy',
    EGI,
    '--require-policy',
    WLCG,
    '--verify-provenance',
  );
  assert.equal(sub.status, 0, sub.stderr);
  let s = await getSubscription(t.inst.store.db, 'cern');
  assert.deepEqual(s.requirePolicies, [EGI, WLCG].sort());
  assert.equal(s.verifyProvenance, true);
  const list = run('subscription', 'list');
  assert.match(list.stdout, /requires policies \(POLICY_NOT_MET unless/);
  assert.match(list.stdout, /verifies provenance/);

  const set = run('subscription', 'set', 'cern', '--require-policy', EGI, '--no-verify-provenance');
  assert.equal(set.status, 0, set.stderr);
  s = await getSubscription(t.inst.store.db, 'cern');
  assert.deepEqual([s.requirePolicies, s.verifyProvenance], [[EGI], false]);
  const none = run('subscription', 'set', 'cern', '--no-require-policy');
  assert.equal(none.status, 0, none.stderr);
  assert.deepEqual((await getSubscription(t.inst.store.db, 'cern')).requirePolicies, []);
  type Details = {
    requirePolicies: string[];
    verifyProvenance: boolean;
    previous: { requirePolicies: string[] };
  };
  const audit = (await actions('subscription.policies-set')).map(
    (a) => JSON.parse(a.details) as Details,
  );
  assert.deepEqual(
    audit.map((d) => [d.requirePolicies, d.verifyProvenance, d.previous.requirePolicies]),
    [
      [[EGI], false, [EGI, WLCG].sort()],
      [[], false, [EGI]],
    ],
  );
  assert.equal(run('subscription', 'set', 'cern').status, 2, 'nothing to change: usage');
  const badIri = run('subscription', 'set', 'cern', '--require-policy', 'policy-1');
  assert.notEqual(badIri.status, 0);
  assert.match(badIri.stderr, /required policy/);
});

test('the rule: every required IRI from the image or its catalog; the message names what is missing', () => {
  const facts = (image: string[], catalog: string[]) =>
    ({ policyClaims: { required: [EGI, WLCG], image, catalog } }) as unknown as ListingFacts;
  assert.deepEqual(policyClaimsMet(facts([EGI], [WLCG])), []);
  assert.deepEqual(policyClaimsMet(facts([], [EGI, WLCG])), []);
  const [r] = policyClaimsMet(facts([EGI], ['urn:example:other']));
  assert.ok(r);
  assert.equal(r.code, 'POLICY_NOT_MET');
  assert.match(r.message, new RegExp(`required policy ${WLCG}:`));
  assert.match(
    r.message,
    /its catalog claims urn:example:other \(other policies than those required\)/,
  );
  assert.deepEqual(policyClaimsMet({} as ListingFacts), [], 'nothing required: no reason');
  // Exact string match: a claim differing in case or a trailing slash does not count.
  assert.equal(policyClaimsMet(facts([`${EGI}/`, WLCG.toUpperCase()], [])).length, 1);
});
