import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { decideDeployment } from '../../catalog/site/gate.ts';
import { FULL_SCOPE, healthSummary } from '../../catalog/site/health.ts';
import { fetchImages } from '../../catalog/site/fetch-images.ts';
import { setPolicy } from '../../catalog/site/policy.ts';
import { searchInventory } from '../../catalog/site/inventory/search.ts';
import { createToken } from '../../catalog/tokens.ts';
import { inventorySites, type InventorySites } from '../catalog/site/inventory/served-sboms.ts';

/*
 * Issue 19 part 2, the site half end to end over loopback: a served endorser signs SBOMs
 * (one Debian-flavoured, two made by `npm sbom` over this project, one whose bytes the
 * host swaps), a site imports, fetches and verifies them with the images, indexes their
 * packages, answers inventory searches (library, CLI, API) and refuses denied packages at
 * the gate, failing closed whenever an inventory cannot be checked.
 */
let s: InventorySites;
const run = promisify(execFile);

before(async () => {
  s = await inventorySites();
});
after(async () => {
  await s?.close();
});

const decide = (image: string) => decideDeployment(s.site.inst, image, { subscription: 'cern' });

test('the SBOM is fetched and verified with the image, and its packages indexed', async () => {
  const by = Object.fromEntries(s.fetched.inventories.map((i) => [i.identifier, i]));
  assert.equal(by.debian12?.outcome, 'verified', by.debian12?.message);
  assert.equal(by.debian12?.packages, 4, 'nested component and the one without purl included');
  assert.equal(by['node-cdx']?.outcome, 'verified', by['node-cdx']?.message);
  assert.equal(by['node-spdx']?.outcome, 'verified', by['node-spdx']?.message);
  assert.ok((by['node-cdx']?.packages ?? 0) > 50);
  assert.equal(by.plain, undefined, 'no SBOM, nothing to fetch');
  const row = await s.site.inst.store.db
    .selectFrom('site_sboms')
    .selectAll()
    .where('sha256', '=', s.sboms.debian12!)
    .executeTakeFirstOrThrow();
  assert.equal(row.state, 'verified');
  assert.equal(row.format, 'cyclonedx');
  const bare = await s.site.inst.store.db
    .selectFrom('site_inventory_packages')
    .selectAll()
    .where('sbom_sha256', '=', s.sboms.debian12!)
    .where('name', '=', 'vendor-agent')
    .executeTakeFirstOrThrow();
  assert.equal(bare.type, null, 'a component without purl is indexed by name, type null');
  // A second fetch does not download verified inventories again.
  const again = await fetchImages(s.site.inst, { actor: 'test' });
  assert.equal(again.inventories.find((i) => i.identifier === 'debian12')?.outcome, 'cached');
});

test('a mirror serving other bytes for the SBOM: quarantined, nothing indexed', async () => {
  const t = s.fetched.inventories.find((i) => i.identifier === 'tampered');
  assert.equal(t?.outcome, 'quarantined');
  assert.equal(t?.code, 'HASH_MISMATCH');
  const row = await s.site.inst.store.db
    .selectFrom('site_sboms')
    .selectAll()
    .where('sha256', '=', s.sboms.tampered!)
    .executeTakeFirstOrThrow();
  assert.equal(row.state, 'quarantined');
  assert.notEqual(row.actual_sha256, s.sboms.tampered);
  assert.equal(row.document, null);
  const n = await s.site.inst.store.db
    .selectFrom('site_inventory_packages')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('sbom_sha256', '=', s.sboms.tampered!)
    .executeTakeFirstOrThrow();
  assert.equal(Number(n.n), 0);
  // Without deny rules the inventory plays no part: the image itself is verified and deployable.
  assert.equal((await decide('tampered')).deployable, true);
  // The operator is told all the same: other bytes under a signed hash are tampering.
  const health = await healthSummary(s.site.inst, FULL_SCOPE);
  assert.equal(health.site?.inventories?.quarantined, 1);
  assert.ok(
    health.problems.some(
      (p) =>
        p.level === 'error' &&
        /^1 software inventory quarantined: the bytes served were not the signed SBOM/.test(p.text),
    ),
    JSON.stringify(health.problems),
  );
  assert.equal(health.verdict, 'error');
});

test('inventory search: by purl, by version range, not outside it (real npm SBOMs)', async () => {
  const kysely = s.npmCycloneDx.components.find((c) => c.name === 'kysely');
  assert.ok(kysely, 'kysely is a dependency of this project, so npm sbom lists it');
  const v = kysely.version;
  const [major, minor] = v.split('.');
  const ids = async (q: string, all = false) =>
    (await searchInventory(s.site.inst, q, { all })).images.map((i) => i.identifier);
  assert.deepEqual(await ids('pkg:npm/kysely'), ['node-cdx', 'node-spdx']);
  assert.deepEqual(await ids(`pkg:npm/kysely@>=${v}`), ['node-cdx', 'node-spdx']);
  assert.deepEqual(await ids(`kysely@${major}.${minor}.x`), ['node-cdx', 'node-spdx']);
  assert.deepEqual(await ids(`kysely@${v}`), ['node-cdx', 'node-spdx']);
  assert.deepEqual(await ids(`pkg:npm/kysely@<${v}`), []);
  assert.deepEqual(await ids(`pkg:npm/kysely@>${v}`), []);
  assert.deepEqual(await ids('pkg:deb/debian/kysely'), [], 'another type is another package');
  // Debian ordering: 3.0.11-1~deb12u2 is in 3.0.x and below 3.0.13, not below 3.0.11.
  assert.deepEqual(await ids('openssl@3.0.x'), ['debian12']);
  assert.deepEqual(await ids('pkg:deb/debian/openssl@>=3.0.0,<3.0.13'), ['debian12']);
  assert.deepEqual(await ids('pkg:deb/debian/openssl@<3.0.11'), []);
  const hit = (await searchInventory(s.site.inst, 'openssl')).images[0]!;
  assert.equal(hit.deployable, true);
  assert.equal(hit.sha256.length, 64);
  assert.deepEqual(
    hit.packages.map((p) => p.label),
    ['pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12'],
  );
  await assert.rejects(searchInventory(s.site.inst, 'pkg:deb/debian/openssl@<'), /expected/);
});

test('deny-package refuses with PACKAGE_DENIED naming the package and the rule; removing it restores', async () => {
  const rule = 'pkg:deb/debian/openssl@<3.0.13';
  await setPolicy(s.site.inst, 'deny-package', rule, 'test');
  const d = await decide('debian12');
  assert.equal(d.deployable, false);
  const denied = d.reasons.find((r) => r.code === 'PACKAGE_DENIED');
  assert.ok(denied, JSON.stringify(d.reasons));
  assert.match(denied.message, /pkg:deb\/debian\/openssl@3\.0\.11-1~deb12u2/);
  assert.match(denied.message, /deny-package pkg:deb\/debian\/openssl@<3\.0\.13/);
  // A verified inventory without the package passes.
  assert.equal((await decide('node-cdx')).deployable, true);
  // Fail closed: an inventory served with other bytes, and an image with no SBOM at all.
  const t = await decide('tampered');
  assert.match(
    t.reasons.find((r) => r.code === 'PACKAGE_DENIED')?.message ?? '',
    /did not match the signed SHA-256/,
  );
  const p = await decide('plain');
  assert.match(
    p.reasons.find((r) => r.code === 'PACKAGE_DENIED')?.message ?? '',
    /no software inventory to check/,
  );
  // Search marks it and leaves it out unless --all.
  assert.deepEqual((await searchInventory(s.site.inst, 'openssl')).images, []);
  assert.equal(
    (await searchInventory(s.site.inst, 'openssl', { all: true })).images[0]?.deployable,
    false,
  );

  // A second rule, then removing the first: the other rule stays.
  await setPolicy(s.site.inst, 'deny-package', 'pkg:npm/kysely@<0.0.1', 'test');
  const policy = await setPolicy(s.site.inst, 'deny-package', rule, 'test', { removeRule: true });
  assert.equal(policy.denyPackages, 'pkg:npm/kysely@<0.0.1');
  assert.equal((await decide('debian12')).deployable, true);
  assert.equal((await decide('node-spdx')).deployable, true);
  await setPolicy(s.site.inst, 'deny-package', undefined, 'test');
  assert.equal((await decide('plain')).deployable, true);
});

test('fail closed while the inventory is not verified yet; vmic fetch verifies it', async () => {
  const db = s.site.inst.store.db;
  await db
    .deleteFrom('site_inventory_packages')
    .where('sbom_sha256', '=', s.sboms.debian12!)
    .execute();
  await db.deleteFrom('site_sboms').where('sha256', '=', s.sboms.debian12!).execute();
  await setPolicy(s.site.inst, 'deny-package', 'pkg:deb/debian/libc6@<2.0', 'test');
  const before = await decide('debian12');
  assert.match(
    before.reasons.find((r) => r.code === 'PACKAGE_DENIED')?.message ?? '',
    /not verified yet \(vmic fetch\)/,
  );
  const again = await fetchImages(s.site.inst, { actor: 'test' });
  assert.equal(again.inventories.find((i) => i.identifier === 'debian12')?.outcome, 'verified');
  assert.equal((await decide('debian12')).deployable, true, 'libc6 2.36 is not below 2.0');
  await setPolicy(s.site.inst, 'deny-package', undefined, 'test');
});

test('the CLI and the API answer the same search', async () => {
  const cli = await run(
    process.execPath,
    [
      'scripts/vmic.js',
      'inventory',
      'search',
      'pkg:deb/debian/openssl@3.0.x',
      '--json',
      '--data',
      s.site.dir,
    ],
    { env: { ...process.env, VMIC_MASTER_KEY: process.env.VMIC_MASTER_KEY ?? '' } },
  );
  const json = JSON.parse(cli.stdout) as { images: { identifier: string; deployable: boolean }[] };
  assert.deepEqual(
    json.images.map((i) => [i.identifier, i.deployable]),
    [['debian12', true]],
  );

  const { token } = await createToken(s.site.inst, {
    role: 'auditor',
    ttlSeconds: 600,
    actor: 'test',
  });
  const res = await fetch(
    `${s.site.url}/api/v1/site/inventory?name=${encodeURIComponent('pkg:npm/kysely')}&version=${encodeURIComponent('>=0.1')}`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  assert.equal(res.status, 200);
  const body = (await res.json()) as {
    images: { identifier: string; packages: { purl: string }[] }[];
  };
  assert.deepEqual(
    body.images.map((i) => i.identifier),
    ['node-cdx', 'node-spdx'],
  );
  assert.match(body.images[0]!.packages[0]!.purl, /^pkg:npm\/kysely@/);
  const bad = await fetch(`${s.site.url}/api/v1/site/inventory?name=openssl&version=%3C`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(bad.status, 400);
  const anon = await fetch(`${s.site.url}/api/v1/site/inventory?name=openssl`);
  assert.equal(anon.status, 401);
});
