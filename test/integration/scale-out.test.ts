/**
 * Issue 15, "Done when": nginx (Debian's package, with contrib/nginx/vmic.conf) in front of
 * three `vmic serve` replicas on one PostgreSQL database and one Ceph RGW bucket (fresh
 * ones, on the servers test/setup/run-tests.sh starts). Checks (a) to (e) of the issue run
 * in an order that keeps the replicas up until (b) stops them all. Every wait is bounded
 * and says what it waited for; nothing asserts on time.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { ENDORSER, startCluster, type Cluster } from './cluster.ts';
import { killMidUpload } from './crash-upload.ts';
import {
  Cookies,
  csrfOf,
  getBytes,
  getJson,
  latestSequence,
  publish,
  sha256,
  uploadImage,
  type ImageAnswer,
  type VersionAnswer,
} from './http.ts';

let c: Cluster;

before(async () => {
  c = await startCluster();
  console.log(`# scale-out backend: ${c.backend.name}`);
});

after(async () => {
  await c?.close();
});

function replica(i: 1 | 2 | 3) {
  return c.replicas[i - 1]!;
}

test('(a) an image uploaded through replica 1 and published through replica 2 is served by replica 3 at once', async () => {
  const bytes = crypto.randomBytes(3 * 1024 * 1024 + 17);
  const hex = sha256(bytes);
  const image = await uploadImage(replica(1).url, c.endorserToken, ENDORSER, 'a-image', bytes);
  assert.equal(image.sha256, hex);
  // The bytes are in the shared store (the bucket), not on replica 1's disk alone.
  const stored = await c.backend.blobKeys();
  assert.ok(
    stored.some((k) => k.includes(hex)),
    `a key names the hash: ${stored.join(' ')}`,
  );
  const version = await publish(replica(2).url, c.endorserToken, ENDORSER);

  // Replica 3, asked directly (no cache in between), right after the publish answered.
  assert.equal(await latestSequence(replica(3).url, ENDORSER), version.sequence);
  const nq = await getBytes(`${replica(3).url}/feeds/${ENDORSER}/catalog.nq`);
  assert.equal(nq.status, 200);
  assert.ok(nq.body.toString('utf8').includes(hex), 'the latest catalog on replica 3 lists it');
  const blob = await getBytes(`${replica(3).url}/blobs/sha256/${hex}`);
  assert.equal(blob.status, 200, `replica 3 serves the blob: ${blob.body.toString()}`);
  assert.equal(sha256(blob.body), hex);

  // Through nginx: a Range request (the slice module asks the replicas for slices).
  const part = await getBytes(`${c.publicUrl}/blobs/sha256/${hex}`, { range: 'bytes=1000-1999' });
  assert.equal(part.status, 206);
  assert.deepEqual(part.body, bytes.subarray(1000, 2000));

  // An upload through nginx reaches a replica as a stream and is stored once.
  const big = crypto.randomBytes(40 * 1024 * 1024);
  const via = await uploadImage(c.publicUrl, c.endorserToken, ENDORSER, 'a-via-nginx', big);
  assert.equal(via.sha256, sha256(big));
  for (const i of [1, 2, 3] as const) {
    const got = await getBytes(`${replica(i).url}/blobs/sha256/${via.sha256}`, {
      authorization: `Bearer ${c.adminToken}`,
    });
    assert.equal(got.status, 200, `replica ${i} reads the upload made through nginx`);
    assert.equal(sha256(got.body), via.sha256);
  }
  // Unpublished: through nginx only with a token (three 16 MiB slices, none cached), and
  // to anyone else the same 404 as for bytes that do not exist.
  const url = `${c.publicUrl}/blobs/sha256/${via.sha256}`;
  const owner = await getBytes(url, { authorization: `Bearer ${c.adminToken}` });
  assert.equal(owner.status, 200);
  assert.equal(sha256(owner.body), via.sha256);
  assert.equal((await getBytes(url)).status, 404, 'an unpublished blob is not public');
});

test('(c) 20 concurrent publishes spread over the replicas get consecutive sequences, and vmic audit verify passes', async () => {
  const start = await latestSequence(replica(1).url, ENDORSER);
  const answers = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      publish(c.replicas[i % 3]!.url, c.endorserToken, ENDORSER),
    ),
  );
  const got = answers.map((a) => a.sequence).sort((a, b) => a - b);
  assert.deepEqual(
    got,
    Array.from({ length: 20 }, (_, i) => start + 1 + i),
    'each publish got its own sequence, with no gap and no repeat',
  );
  const { versions } = await getJson<{ versions: VersionAnswer[] }>(
    `${replica(3).url}/api/v1/endorsers/${ENDORSER}/catalogs`,
    c.adminToken,
  );
  const bySequence = [...versions].sort((a, b) => a.sequence - b.sequence);
  assert.deepEqual(
    bySequence.map((v) => v.sequence),
    Array.from({ length: start + 20 }, (_, i) => i + 1),
    'the published versions are 1..N, each once',
  );
  for (let i = 1; i < bySequence.length; i++)
    assert.ok(
      bySequence[i]!.issuedAt >= bySequence[i - 1]!.issuedAt,
      `version ${bySequence[i]!.sequence} was not issued before version ${i}`,
    );

  // Every replica serves the same latest catalog, with the same strong ETag.
  const etags = await Promise.all(
    c.replicas.map(async (r) => {
      const res = await getBytes(`${r.url}/feeds/${ENDORSER}/catalog.p7m`);
      assert.equal(res.status, 200);
      return res.headers.get('etag');
    }),
  );
  assert.ok(etags[0]?.startsWith('"'), `a strong ETag: ${etags[0]}`);
  assert.deepEqual(etags, [etags[0], etags[0], etags[0]], 'equal ETags across replicas');
  assert.equal(await latestSequence(replica(2).url, ENDORSER), start + 20);

  const audit = c.cli(['audit', 'verify']);
  assert.equal(audit.status, 0, audit.stdout + audit.stderr);
  assert.match(audit.stdout, /audit log intact/);
});

test('(d) a demo web session started on one replica is valid on the others, and ends on all', async () => {
  const demo = await c.extraReplica('demo replica', ['demo']);
  await demo.start(/vmic demo is ready/);
  const jar = new Cookies();
  const login = await fetch(`${demo.url}/login`);
  jar.take(login);
  const token = csrfOf(await login.text());
  const signIn = await fetch(`${demo.url}/login/dev`, {
    method: 'POST',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token, name: 'scale-admin', role: 'admin' }),
    redirect: 'manual',
  });
  assert.equal(signIn.status, 303, await signIn.text());
  jar.take(signIn);
  // The session must outlive the process that made it.
  await demo.stop();

  const admin = async (base: string, cookie = jar.header()) =>
    fetch(`${base}/admin`, { headers: { cookie }, redirect: 'manual' });
  let page = '';
  for (const base of [...c.replicas.map((r) => r.url), c.publicUrl]) {
    const res = await admin(base);
    page = await res.text();
    assert.equal(res.status, 200, `${base}/admin with the demo's session cookie`);
    assert.ok(page.includes('scale-admin'), `${base} knows who is signed in`);
    const anonymous = await admin(base, '');
    assert.notEqual(anonymous.status, 200, `${base}/admin without a cookie`);
  }
  // The CSRF token is the session's, so replica 2 accepts a sign-out with replica 3's page.
  const out = await fetch(`${replica(2).url}/logout`, {
    method: 'POST',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrfOf(page) }),
    redirect: 'manual',
  });
  assert.equal(out.status, 303, await out.text());
  const ended = await admin(replica(1).url);
  assert.notEqual(ended.status, 200, 'signed out on replica 2 means signed out on replica 1');
});

test('(e) a replica killed in the middle of an upload leaves no visible partial blob', async () => {
  const victim = replica(3);
  const { sha256: hex, keysBefore } = await killMidUpload(
    victim,
    c.endorserToken,
    ENDORSER,
    c.backend,
    c.backend.dataDir(3),
  );
  const asAdmin = { authorization: `Bearer ${c.adminToken}` };
  for (const base of [replica(1).url, replica(2).url, c.publicUrl]) {
    const res = await getBytes(`${base}/blobs/sha256/${hex}`, asAdmin);
    assert.equal(res.status, 404, `${base} has no blob of the whole image`);
  }
  const keys = await c.backend.blobKeys();
  assert.deepEqual(
    keys.filter((k) => k.includes(hex)),
    [],
    'no stored key names the hash',
  );
  const { images } = await getJson<{ images: ImageAnswer[] }>(
    `${replica(1).url}/api/v1/endorsers/${ENDORSER}/images`,
    c.adminToken,
  );
  assert.deepEqual(
    images.filter((i) => i.identifier === 'crash'),
    [],
    'no image row for the upload',
  );
  await victim.start();
  const res = await getBytes(`${victim.url}/blobs/sha256/${hex}`, asAdmin);
  assert.equal(res.status, 404, 'nor after the killed replica is back');
  // Its restart sweeps what it left: the temporary key names this host and a dead process.
  const left = (await c.backend.blobKeys()).filter((k) => !keysBefore.has(k));
  assert.deepEqual(left, [], 'no key left behind by the killed upload');
  assert.equal(await c.backend.openUploads(), 0, 'no multipart upload left open');
});

test('(b) nginx answers a conditional GET with 304, and serves a versioned catalog from its cache with every replica stopped', async () => {
  const seq = await latestSequence(replica(1).url, ENDORSER);
  const versioned = `${c.publicUrl}/feeds/${ENDORSER}/${seq}/catalog.p7m`;
  const latest = `${c.publicUrl}/feeds/${ENDORSER}/catalog.p7m`;
  const first = await getBytes(versioned);
  assert.equal(first.status, 200);
  const etag = first.headers.get('etag');
  assert.ok(etag, 'the versioned catalog has an ETag');
  assert.match(first.headers.get('cache-control') ?? '', /immutable/);
  const latestBefore = await getBytes(latest);
  assert.equal(latestBefore.status, 200);

  const conditional = await getBytes(versioned, { 'if-none-match': etag });
  assert.equal(conditional.status, 304);
  assert.equal(conditional.body.length, 0);

  await Promise.all(c.replicas.map((r) => r.stop()));
  const cached = await getBytes(versioned);
  assert.equal(cached.status, 200, `nginx: ${c.nginx.errorLog().slice(-2000)}`);
  assert.deepEqual(cached.body, first.body);
  assert.equal(cached.headers.get('x-cache-status'), 'HIT');
  const revalidated = await getBytes(versioned, { 'if-none-match': etag });
  assert.equal(revalidated.status, 304, 'still 304 with no replica');
  // The latest path is kept for its max-age, then served stale while no replica answers.
  const stale = await getBytes(latest);
  assert.equal(stale.status, 200);
  assert.deepEqual(stale.body, latestBefore.body);
});
