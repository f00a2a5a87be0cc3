import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { registerImageByUrl } from '../../../catalog/images.ts';
import { opensslCmsVerify } from '../../helpers/openssl/index.ts';
import { bearer, problemOf, sha256, startHarness, type Harness } from '../../server/harness.ts';
import { generateNpmSboms, variant, type NpmSboms } from '../../fixtures/sbom/npm-sbom.ts';

/*
 * The endorser half of issue 19 over real HTTP: attach an SBOM through the JSON API, publish,
 * then check the published catalog as an outsider would, with stock tools only: `openssl
 * cms -verify` on catalog.p7m, and `sha256sum` on the SBOM bytes served at its downloadURL.
 */

const SBOM_LIMIT = 512 * 1024;
const IANA = 'https://www.iana.org/assignments/media-types/';
let dir: string;
let npm: NpmSboms;
let h: Harness;
let token: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-sbom-api-'));
  npm = generateNpmSboms(dir);
  h = await startHarness({ limits: { sbomBytes: SBOM_LIMIT } });
  token = await h.token('endorser:cern');
  await registerImageByUrl(h.inst, {
    endorser: 'cern',
    identifier: 'alma9',
    url: 'https://images.example/alma9.qcow2',
    sha256: sha256('alma9'),
    size: 1234,
    metadata: { title: 'AlmaLinux 9' },
    actor: 'test',
  });
});
after(async () => {
  await h.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const sbomUrl = (identifier = 'alma9') =>
  `${h.url}/api/v1/endorsers/cern/images/${identifier}/sbom`;

function put(body: Buffer | string, type = 'application/vnd.cyclonedx+json', auth = token) {
  return fetch(sbomUrl(), {
    method: 'PUT',
    headers: { ...bearer(auth), 'content-type': type },
    body,
  });
}

test('PUT refuses, with a problem naming why: schema errors, versions, non-JSON, size, role', async () => {
  const noName = variant(npm.cyclonedx, 'api-no-name.cdx.json', (d) => {
    delete (d.components as Record<string, unknown>[])[2]!.name;
  });
  let r = await put(fs.readFileSync(noName));
  let p = await problemOf(r);
  assert.equal(r.status, 400);
  assert.equal(p.code, 'MALFORMED');
  assert.equal(p.rule, 'sbom.schema');
  assert.equal(
    p.detail,
    "the SBOM is not valid CycloneDX 1.5: /components/2: must have required property 'name'",
  );

  const v14 = path.resolve('test/fixtures/sbom/cyclonedx-npm-6.0.1-result-example.cdx.json');
  p = await problemOf(await put(fs.readFileSync(v14), 'application/json'));
  assert.equal(p.code, 'MALFORMED');
  assert.match(String(p.detail), /specVersion "1\.4" is not supported; accepted: SPDX 2\.3/);

  p = await problemOf(await put('this is not json'));
  assert.equal(p.code, 'MALFORMED');
  assert.match(String(p.detail), /^the SBOM is not valid JSON/);

  r = await put(Buffer.alloc(SBOM_LIMIT + 1, 0x20));
  p = await problemOf(r);
  assert.equal(r.status, 413);
  assert.equal(p.code, 'TOO_LARGE');

  r = await put('{}', 'text/plain');
  assert.equal(r.status, 400);

  r = await put(fs.readFileSync(npm.cyclonedx), undefined, await h.token('endorser:other'));
  assert.equal(r.status, 403);
  const image = (await (
    await fetch(`${h.url}/api/v1/endorsers/cern/images/alma9`, { headers: bearer(token) })
  ).json()) as Record<string, unknown>;
  assert.equal(image.sbom, undefined);
});

test('attached by PUT, the SBOM is in the signed catalog; openssl verifies it, sha256sum matches', async () => {
  const bytes = fs.readFileSync(npm.cyclonedx);
  const r = await put(bytes);
  assert.equal(r.status, 200, await r.clone().text());
  const image = (await r.json()) as { sbom?: Record<string, unknown> };
  assert.deepEqual(image.sbom, {
    sha256: sha256(bytes),
    mediaType: 'application/vnd.cyclonedx+json',
    byteSize: bytes.length,
  });

  // Before a published catalog lists it: the endorser may read it, anyone else gets 404.
  const blob = `${h.url}/blobs/sha256/${sha256(bytes)}`;
  assert.equal((await fetch(blob)).status, 404);
  const own = await fetch(blob, { headers: bearer(token) });
  assert.equal(own.status, 200);
  assert.ok(Buffer.from(await own.arrayBuffer()).equals(bytes));

  const pub = await fetch(`${h.url}/api/v1/endorsers/cern/publish`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(pub.status, 201, await pub.clone().text());

  const p7m = path.join(dir, 'catalog.p7m');
  fs.writeFileSync(
    p7m,
    Buffer.from(await (await fetch(`${h.url}/feeds/cern/catalog.p7m`)).arrayBuffer()),
  );
  const verified = opensslCmsVerify(p7m, path.join(h.dir, 'test-endorser.pem'));
  assert.equal(verified.status, 0, verified.stderr);
  assert.match(verified.stderr, /Verification successful/);
  const nquads = verified.stdout.toString('utf8');

  const imageIri = 'http://vmic.test/feeds/cern/images/alma9';
  const sbomIri = `<${imageIri}#sbom>`;
  const lines = nquads.split('\n');
  const about = (s: string) => lines.filter((l) => l.startsWith(`${s} `));
  assert.ok(lines.includes(`<${imageIri}> <http://www.w3.org/ns/dcat#distribution> ${sbomIri} .`));
  assert.ok(
    about(sbomIri).includes(
      `${sbomIri} <http://www.w3.org/ns/dcat#mediaType> <${IANA}application/vnd.cyclonedx+json> .`,
    ),
  );
  const checksumNode = `<${imageIri}#sbom-sha256>`;
  const value = about(checksumNode)
    .map((l) => /<http:\/\/spdx\.org\/rdf\/terms#checksumValue> "([0-9a-f]{64})"/.exec(l)?.[1])
    .find((v) => v !== undefined);
  const download = about(sbomIri)
    .map((l) => /<http:\/\/www\.w3\.org\/ns\/dcat#downloadURL> <([^>]+)>/.exec(l)?.[1])
    .find((v) => v !== undefined);
  assert.ok(value && download, nquads);
  assert.equal(download, `http://vmic.test/blobs/sha256/${value}`);

  // Fetched as a site does, anonymously, from the served path of the downloadURL.
  const served = await fetch(`${h.url}${new URL(download).pathname}`);
  assert.equal(served.status, 200);
  const file = path.join(dir, 'downloaded.sbom.json');
  fs.writeFileSync(file, Buffer.from(await served.arrayBuffer()));
  const sum = execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
  assert.equal(sum, value);
  assert.ok(fs.readFileSync(file).equals(bytes));
});

test('DELETE detaches: the image has no sbom, and the next catalog lists none', async () => {
  const r = await fetch(sbomUrl(), { method: 'DELETE', headers: bearer(token) });
  assert.equal(r.status, 200);
  assert.equal(((await r.json()) as Record<string, unknown>).sbom, undefined);
  const pub = await fetch(`${h.url}/api/v1/endorsers/cern/publish`, {
    method: 'POST',
    headers: { ...bearer(token), 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(pub.status, 201);
  const nq = await (await fetch(`${h.url}/feeds/cern/catalog.nq`)).text();
  assert.doesNotMatch(nq, /#sbom>/);
  assert.deepEqual(h.logs, []);
});
