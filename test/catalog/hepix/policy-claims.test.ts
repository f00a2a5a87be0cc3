import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { derToPem } from '../../../pki/index.ts';
import {
  FIXTURE_TIME,
  crlOf,
  scenario,
  writeScenario,
  type Scenario,
} from '../../fixtures/pki-fixtures.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { fetchImages } from '../../../catalog/site/fetch-images.ts';
import { approveEndorser } from '../../../catalog/site/approvals.ts';
import { decideDeployment } from '../../../catalog/site/gate.ts';
import {
  formatHepixDate,
  imageListOfCatalog,
  readImageList,
  writeImageList,
} from '../../../catalog/hepix/index.ts';
import type { Image } from '../../../catalog/images.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { opensslSmimeSign } from '../../helpers/openssl/index.ts';
import { startServer, vmcasterList } from './helpers.ts';

/*
 * Policy claims in a HEPiX image list (issue 19 part 3). The format has no claim key, so
 * vmic adds `dcterms:conformsTo` (an array of IRIs) to `hv:image`, and to `hv:imagelist` for
 * the whole list; vmcatcher-era readers ignore keys they do not know, as they do AppDB's
 * `ad:*`. A list signed with stock `openssl smime -sign`, as vmcaster's users sign, with the
 * key → the claim is held and a site requiring the policy deploys; without → POLICY_NOT_MET.
 */
const EGI = 'https://documents.egi.eu/document/771';
const DAY = 86400_000;
const at = (days: number) => formatHepixDate(new Date(FIXTURE_TIME.getTime() + days * DAY));
const SLASH_LEAF = '/C=CH/O=vmic fixtures/CN=Fixture Endorser';
const SLASH_CA = '/C=CH/O=vmic fixtures/CN=Fixture Intermediate CA';

let pki: Scenario;
let dir: string;
let server: Awaited<ReturnType<typeof startServer>>;
const bytes = crypto.randomBytes(50_000);
let keys: { cert: string; key: string; chain: string };

before(async () => {
  pki = await scenario();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-hepix-claims-'));
  await writeScenario(pki, dir);
  keys = {
    cert: path.join(dir, 'leaf.pem'),
    key: path.join(dir, 'leaf.key'),
    chain: path.join(dir, 'intermediates.pem'),
  };
  server = await startServer();
  server.serve('/images/alma9.qcow2', bytes);
});
after(async () => {
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A signed list of one image; `image` and `list` are extra keys on hv:image / hv:imagelist. */
function signedList(version: string, image: Record<string, unknown>, list = {}): Buffer {
  const json = JSON.parse(
    vmcasterList({
      version,
      created: at(-1),
      expires: at(10),
      dn: SLASH_LEAF,
      ca: SLASH_CA,
      images: [
        { identifier: 'alma9', bytes, url: server.url('/images/alma9.qcow2'), extra: image },
      ],
    }),
  ) as { 'hv:imagelist': Record<string, unknown> };
  Object.assign(json['hv:imagelist'], list);
  return opensslSmimeSign(dir, JSON.stringify(json, null, 2), keys);
}

/** A site subscribed to the list, requiring the EGI policy, whose image is fetched and approved. */
async function requiringSite() {
  const t = await tempInstance({ now: () => FIXTURE_TIME });
  const pem =
    [pki.root.certificate, pki.intermediate.certificate]
      .map((c) => derToPem(c, 'CERTIFICATE'))
      .join('') +
    [await crlOf(pki.intermediate), await crlOf(pki.root)]
      .map((c) => derToPem(c, 'X509 CRL'))
      .join('');
  await addTrustMaterial(t.inst, pem, 'test');
  await subscribe(t.inst, {
    url: server.url('/store/fixture.vo/image.list'),
    format: 'hepix',
    expectSubject: SLASH_LEAF,
    name: 'fixture',
    requirePolicies: [EGI],
    actor: 'test',
  });
  return t;
}

async function importList(t: Awaited<ReturnType<typeof requiringSite>>, list: Buffer) {
  server.serve('/store/fixture.vo/image.list', list);
  const [outcome] = await runImport(t.inst, { actor: 'test' });
  return outcome!;
}

const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

test('hv:image dcterms:conformsTo is held; the gate accepts under --require-policy; a list without it is POLICY_NOT_MET', async () => {
  const t = await requiringSite();
  try {
    const o = await importList(t, signedList('1', { 'dcterms:conformsTo': [EGI] }));
    assert.equal(o.status, 'applied', o.message);
    const row = await t.inst.store.db
      .selectFrom('site_images')
      .selectAll()
      .executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(row.conforms_to!), [EGI]);
    const extra = JSON.parse(row.extra ?? '{}') as Record<string, unknown>;
    assert.equal(extra['dcterms:conformsTo'], undefined, 'mapped, not extra');
    assert.equal((await fetchImages(t.inst, { actor: 'test' })).totals.failed, 0);
    await approveEndorser(t.inst, { subscription: 'fixture', actor: 'test' });
    const d = await decideDeployment(t.inst, 'alma9');
    assert.equal(d.deployable, true, JSON.stringify(d.reasons));
    assert.deepEqual(d.conformsTo, [EGI]);

    // The next list drops the claim: the claim goes with it (nothing lingers).
    assert.equal((await importList(t, signedList('2', {}))).status, 'applied');
    const without = await decideDeployment(t.inst, 'alma9');
    assert.deepEqual(codes(without), ['POLICY_NOT_MET']);
    assert.match(
      without.reasons[0]!.message,
      /neither the image nor its catalog claims any policy/,
    );

    // A list-level claim covers every image of the list.
    assert.equal(
      (await importList(t, signedList('3', {}, { 'dcterms:conformsTo': [EGI] }))).status,
      'applied',
    );
    const listed = await decideDeployment(t.inst, 'alma9');
    assert.deepEqual(codes(listed), []);
    assert.deepEqual(listed.policies, { required: [EGI], catalogClaims: [EGI], missing: [] });
  } finally {
    await t.cleanup();
  }
});

test('a malformed claim refuses the list (MALFORMED, rule dcterms:conformsTo)', async () => {
  const t = await requiringSite();
  try {
    for (const [version, claim] of [
      ['1', EGI],
      ['1', ['not an iri']],
      ['1', [42]],
    ] as const) {
      const o = await importList(t, signedList(version, { 'dcterms:conformsTo': claim }));
      assert.equal(o.status, 'failed');
      assert.equal(o.code, 'MALFORMED', o.message);
      assert.equal(o.rule, 'dcterms:conformsTo');
    }
  } finally {
    await t.cleanup();
  }
});

test("vmic's HEPiX export writes both claims, and reads them back", () => {
  const image = {
    identifier: 'alma9',
    title: 'Alma 9',
    byteSize: 10,
    sha256: 'a'.repeat(64),
    sha512: 'b'.repeat(128),
    downloadUrl: 'https://endorser.example/blobs/sha256/aa',
    conformsTo: [EGI],
  } as unknown as Image;
  const list = imageListOfCatalog({
    catalogIri: 'https://endorser.example/feeds/cern/catalog',
    listUrl: 'https://endorser.example/feeds/cern/1/image.list',
    title: 'CERN',
    sequence: 1,
    issued: FIXTURE_TIME,
    expires: new Date(FIXTURE_TIME.getTime() + DAY),
    signer: { subject: 'CN=E,O=X,C=CH', issuer: 'CN=CA,O=X,C=CH' },
    images: [image, { ...image, identifier: 'rocky9', conformsTo: [] }],
    conformsTo: ['urn:example:all'],
  });
  const json = writeImageList(list);
  type Doc = Record<string, unknown> & { 'hv:images': { 'hv:image': Record<string, unknown> }[] };
  const doc = (JSON.parse(json) as { 'hv:imagelist': Doc })['hv:imagelist'];
  assert.deepEqual(doc['dcterms:conformsTo'], ['urn:example:all']);
  const [alma, rocky] = doc['hv:images'].map((i) => i['hv:image']);
  assert.deepEqual(alma?.['dcterms:conformsTo'], [EGI]);
  assert.ok(rocky);
  assert.equal('dcterms:conformsTo' in rocky, false);
  const back = readImageList(json);
  assert.deepEqual(back.conformsTo, ['urn:example:all']);
  assert.deepEqual(
    back.images.map((i) => i.conformsTo),
    [[EGI], undefined],
  );
  assert.deepEqual(back.extra, {});
});
