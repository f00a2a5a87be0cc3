import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { buildDemoHierarchy, derToPem, type DemoHierarchy } from '../../pki/index.ts';
import { createToken } from '../../catalog/tokens.ts';
import { publishCatalog } from '../../catalog/publish.ts';
import { setImageClaims } from '../../catalog/policy-claims.ts';
import { subscribe } from '../../catalog/site/subscriptions.ts';
import { setSubscriptionRequirements } from '../../catalog/site/subscription-requirements.ts';
import { runImport } from '../../catalog/site/import-run.ts';
import { fetchImages } from '../../catalog/site/fetch-images.ts';
import { approveEndorser } from '../../catalog/site/approvals.ts';
import { decideDeployment, type DeployDecision } from '../../catalog/site/gate.ts';
import { previewPublish } from '../../catalog/publish-preview.ts';
import {
  addPublishedEndorser,
  demoEndorserIdentity,
} from '../../scripts/fixtures/published-endorser.ts';
import { opensslCmsVerify } from '../helpers/openssl/index.ts';
import { vmic } from '../helpers/cli.ts';
import {
  ENDORSER_SUBJECT,
  removeDirs,
  siteAt,
  serve,
  tempDir,
  type Served,
} from './helpers/log-instances.ts';

/*
 * Policy claims end to end (issue 19 part 3), between a served endorser and a served site,
 * the transparency log required as by default: the endorser claims the EGI/WLCG VM image
 * policy for one image (then for its whole catalog) through the JSON API, publishes, and a
 * site requiring that policy deploys exactly what is claimed. The signed N-Quads, read with
 * stock `openssl cms -verify`, carry the claim as a plain dcterms:conformsTo triple.
 */
const EGI = 'https://documents.egi.eu/document/771';
const OTHER = 'urn:example:policy:other';
let h: DemoHierarchy;
let endorser: Served;
let site: Served;
let token: string;
let work: string;

async function api(method: string, url: string, body: unknown): Promise<Response> {
  return fetch(`${endorser.url}/api/v1${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function importNow(): Promise<void> {
  const [o] = await runImport(site.inst, { actor: 'test' });
  assert.equal(o?.status, 'applied', o?.message);
}

const gate = (id: string) => decideDeployment(site.inst, id);
const codes = (d: DeployDecision) => d.reasons.map((r) => r.code);

before(async () => {
  h = await buildDemoHierarchy({ keyAlgorithm: 'ECDSA-P256', now: new Date() });
  endorser = await serve(tempDir('claims-endorser'));
  work = tempDir('claims-work');
  await addPublishedEndorser(endorser.inst, {
    name: 'cern',
    identity: await demoEndorserIdentity(h),
    images: {
      synthetic: [
        { identifier: 'alma9', metadata: { title: 'AlmaLinux 9' }, size: 4096 },
        { identifier: 'rocky9', metadata: { title: 'Rocky Linux 9' }, size: 4096 },
      ],
    },
    actor: 'test',
    publish: false,
  });
  token = (await createToken(endorser.inst, { role: 'admin', ttlSeconds: 3600, actor: 'test' }))
    .token;
  site = await siteAt(h, 'claims-site');
  fs.writeFileSync(path.join(work, 'anchors.pem'), derToPem(h.root.certificate, 'CERTIFICATE'));
});

after(async () => {
  await endorser?.close();
  await site?.close();
  removeDirs(endorser?.dir ?? '', site?.dir ?? '', work ?? '');
});

test('an endorser-side invalid IRI is refused, by the API and by the catalog code', async () => {
  for (const bad of [
    'not an iri',
    'ftp://example.org/policy',
    'relative/policy',
    `https://x/${'a'.repeat(2100)}`,
  ]) {
    const res = await api('PATCH', '/endorsers/cern/images/alma9', { conformsTo: [bad] });
    assert.equal(res.status, 400, bad);
  }
  const seventeen = Array.from({ length: 17 }, (_, i) => `urn:example:policy:${i}`);
  const excess = await api('PUT', '/endorsers/cern/conforms-to', { conformsTo: seventeen });
  assert.equal(excess.status, 400, 'at most 16 (the schema refuses first)');
  await assert.rejects(
    setImageClaims(endorser.inst, {
      identifier: 'alma9',
      conformsTo: ['javascript:alert(1)'],
      actor: 't',
    }),
    /http\(s\) or urn/,
  );
  const img = await (
    await fetch(`${endorser.url}/api/v1/endorsers/cern/images/alma9`, {
      headers: { authorization: `Bearer ${token}` },
    })
  ).json();
  assert.equal((img as { conformsTo?: string[] }).conformsTo, undefined, 'nothing was stored');
});

test('an image claim is signed (openssl sees the triple); the site deploys it and refuses the other image', async () => {
  const res = await api('PATCH', '/endorsers/cern/images/alma9', { conformsTo: [EGI, EGI] });
  assert.equal(res.status, 200);
  assert.deepEqual(((await res.json()) as { conformsTo: string[] }).conformsTo, [EGI]);
  await publishCatalog(endorser.inst, { endorser: 'cern', actor: 'test' });

  const p7m = path.join(work, 'catalog.p7m');
  const served = await fetch(`${endorser.url}/feeds/cern/catalog.p7m`);
  fs.writeFileSync(p7m, Buffer.from(await served.arrayBuffer()));
  const v = opensslCmsVerify(p7m, path.join(work, 'anchors.pem'));
  assert.equal(v.status, 0, v.stderr);
  const triples = v.stdout
    .toString('utf8')
    .split('\n')
    .filter((l) => l.includes('<http://purl.org/dc/terms/conformsTo>'));
  assert.equal(triples.length, 1, triples.join('\n'));
  assert.match(
    triples[0]!,
    new RegExp(`^<[^>]*/alma9> <http://purl.org/dc/terms/conformsTo> <${EGI}> \\.$`),
  );

  await subscribe(site.inst, {
    url: `${endorser.url}/feeds/cern/`,
    expectSubject: ENDORSER_SUBJECT,
    name: 'cern',
    requirePolicies: [EGI],
    actor: 'test',
  });
  await importNow();
  assert.equal((await fetchImages(site.inst, { actor: 'test' })).totals.failed, 0);
  await approveEndorser(site.inst, { subscription: 'cern', actor: 'test' });

  const alma = await gate('alma9');
  assert.deepEqual(codes(alma), [], JSON.stringify(alma.reasons));
  assert.deepEqual(alma.conformsTo, [EGI]);
  assert.deepEqual(alma.policies, { required: [EGI], catalogClaims: [], missing: [] });
  const rocky = await gate('rocky9');
  assert.deepEqual(codes(rocky), ['POLICY_NOT_MET'], 'claimed for another image only');
  assert.match(rocky.reasons[0]!.message, new RegExp(EGI.replaceAll('.', '\\.')));
  assert.match(rocky.reasons[0]!.message, /neither the image nor its catalog claims any policy/);
});

test('a catalog-level claim satisfies every image; the gate answer over HTTP carries the claims', async () => {
  const res = await api('PUT', '/endorsers/cern/conforms-to', { conformsTo: [EGI, OTHER] });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { endorser: 'cern', conformsTo: [OTHER, EGI].sort() });
  const read = await fetch(`${endorser.url}/api/v1/endorsers/cern/conforms-to`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.deepEqual(await read.json(), { endorser: 'cern', conformsTo: [OTHER, EGI].sort() });
  assert.deepEqual((await previewPublish(endorser.inst, 'cern')).catalogClaims, {
    published: [],
    next: [EGI, OTHER].sort(),
  });
  await publishCatalog(endorser.inst, { endorser: 'cern', actor: 'test' });
  await importNow();
  const adminToken = (await createToken(site.inst, { role: 'admin', ttlSeconds: 600, actor: 't' }))
    .token;
  const answer = (await (
    await fetch(`${site.url}/api/v1/gate/rocky9`, {
      headers: { authorization: `Bearer ${adminToken}` },
    })
  ).json()) as DeployDecision;
  assert.equal(answer.deployable, true, JSON.stringify(answer.reasons));
  assert.deepEqual(answer.policies?.catalogClaims, [EGI, OTHER].sort());
  assert.equal(answer.conformsTo, undefined, 'rocky9 claims nothing itself');
  assert.deepEqual(codes(await gate('alma9')), []);
});

test('clearing the claims and republishing makes the next import refuse; a site that stops requiring deploys', async () => {
  await api('PUT', '/endorsers/cern/conforms-to', { conformsTo: [OTHER] });
  const cleared = await api('PATCH', '/endorsers/cern/images/alma9', { conformsTo: null });
  assert.equal(cleared.status, 200);
  const preview = await previewPublish(endorser.inst, 'cern');
  assert.deepEqual(
    preview.changed.map((c) => [c.identifier, c.fields]),
    [['alma9', ['conformsTo']]],
    'the dropped image claim shows as a change of the image',
  );
  await publishCatalog(endorser.inst, { endorser: 'cern', actor: 'test' });
  await importNow();
  for (const id of ['alma9', 'rocky9']) {
    const d = await gate(id);
    assert.deepEqual(codes(d), ['POLICY_NOT_MET'], id);
    assert.match(
      d.reasons[0]!.message,
      /its catalog claims urn:example:policy:other \(other policies/,
    );
  }
  // `vmic check` (exit 3: not deployable) shows what is required, missing and claimed.
  const cli = vmic(['check', 'alma9', '--data', site.dir]);
  assert.equal(cli.status, 3, cli.stderr);
  assert.match(cli.stdout, new RegExp(`required policies: ${EGI}; missing ${EGI}`));
  assert.match(cli.stdout, new RegExp(`catalog claims: ${OTHER}`));
  const s = await setSubscriptionRequirements(site.inst, 'cern', { requirePolicies: [] }, 'test');
  assert.deepEqual(s.requirePolicies, []);
  assert.deepEqual(codes(await gate('alma9')), []);
});
