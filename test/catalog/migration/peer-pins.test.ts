import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { dnEquals, type DemoHierarchy } from '../../../pki/index.ts';
import { migrateImage } from '../../../catalog/migration/migrate.ts';
import { receiveTransfer } from '../../../catalog/migration/receive.ts';
import { addPeer, listPeers } from '../../../catalog/migration/peers.ts';
import { listMigrations } from '../../../catalog/migration/records.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { BUNDLE_MAGIC } from '../../../catalog/migration/bundle-format.ts';
import {
  opensslCmsSignFile,
  opensslRoot,
  opensslSiteLeaf,
  type OpensslCa,
  type Signer,
} from '../../helpers/openssl/index.ts';
import {
  SUBJECTS,
  buildDemoHierarchy,
  deployableImageAt,
  peerWith,
  startSite,
  type Site,
} from './two-sites.ts';

// Issuer pins for peers (docs/design.md §8): the issuing CA of a peer's certificate is pinned (given
// with --expect-issuer, or learned on first verified use), and a peer's certificate given
// with --cert is the only one that may sign its manifests. The impostors come from a
// second CA made by stock openssl, named exactly like the demo intermediate.

const DEMO_INTERMEDIATE = 'CN=vmic Demo Intermediate CA,O=vmic demo,C=CH';
let h: DemoHierarchy;
let a: Site;
let b: Site;
let dir: string;
let rogue: OpensslCa;

before(async () => {
  h = await buildDemoHierarchy({ keyAlgorithm: 'RSA-2048', now: new Date() });
  a = await startSite(h, SUBJECTS.a, 'RSA-2048');
  b = await startSite(h, SUBJECTS.b, 'ECDSA-P256');
  await deployableImageAt(a, h, 1024 * 1024);
  await peerWith(a, 'site-b', { url: b.url }, SUBJECTS.b);
  await peerWith(b, 'site-a', { url: a.url }, SUBJECTS.a);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-peer-pins-'));
  // A second CA with the demo intermediate's exact subject DN, which B also trusts (say,
  // for another purpose): only the pinned key tells the two apart.
  rogue = opensslRoot(dir, 'rogue', '/C=CH/O=vmic demo/CN=vmic Demo Intermediate CA');
  await addTrustMaterial(b.inst, fs.readFileSync(rogue.certFile, 'utf8'), 'test');
});

after(async () => {
  await a?.cleanup();
  await b?.cleanup();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** A transfer whose manifest `openssl cms -sign` signed with `signer`: header only. */
function opensslTransfer(signer: Signer, sender: string, receiver = SUBJECTS.b): Buffer {
  const manifest = path.join(dir, `manifest-${Math.random().toString(16).slice(2)}.json`);
  fs.writeFileSync(
    manifest,
    JSON.stringify({ version: 1, sender, receiver, createdAt: new Date().toISOString() }),
  );
  const cms = fs.readFileSync(opensslCmsSignFile(manifest, signer, `${manifest}.der`));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(cms.length);
  return Buffer.concat([BUNDLE_MAGIC, len, cms]);
}

async function refused(bytes: Buffer): Promise<{ code: string; rule?: string; message: string }> {
  let error: { code: string; rule?: string; message: string } | undefined;
  await assert.rejects(
    receiveTransfer(b.inst, Readable.from([bytes]), { via: 'test', actor: 'test' }),
    (e: unknown) => {
      error = e as typeof error;
      return true;
    },
  );
  return error!;
}

test('the first verified transfer pins the issuing CA (subject and key) on both sides', async () => {
  const before = (await listPeers(b.inst)).find((p) => p.name === 'site-a')!;
  assert.equal(before.issuerPin.subject, undefined, 'nothing pinned before first use');
  await migrateImage(a.inst, { image: 'alma9', to: 'site-b', actor: 'test' });
  const atB = (await listPeers(b.inst)).find((p) => p.name === 'site-a')!;
  assert.equal(dnEquals(atB.issuerPin.subject!, DEMO_INTERMEDIATE), true);
  assert.match(atB.issuerPin.keyId ?? '', /^sha256:[0-9a-f]{64}$/);
  assert.equal(atB.issuerPin.source, 'first-use');
  const atA = (await listPeers(a.inst)).find((p) => p.name === 'site-b')!;
  assert.equal(atA.issuerPin.keyId, atB.issuerPin.keyId, 'the sender pinned the same CA key');
});

test('a manifest from another CA with the pinned subject DN is refused with SUBJECT_MISMATCH', async () => {
  const impostor = opensslSiteLeaf(dir, 'site-a-impostor', '/C=CH/O=vmic test/CN=Site A', rogue);
  const e = await refused(opensslTransfer(impostor, SUBJECTS.a));
  assert.equal(e.code, 'SUBJECT_MISMATCH');
  assert.equal(e.rule, 'peer.issuer-key');
  const [listed] = (await listMigrations(b.inst)).filter((m) => m.state === 'refused');
  assert.equal(listed?.reason?.code, 'SUBJECT_MISMATCH');
  assert.equal(dnEquals(listed.claimedSender!.subject, SUBJECTS.a), true);
});

test('peer add --expect-issuer: a certificate from another issuer is refused', async () => {
  await addPeer(b.inst, {
    name: 'site-x',
    url: 'https://site-x.example',
    expectSubject: 'CN=Site X,O=vmic test,C=CH',
    expectIssuer: 'CN=Some Other CA,O=vmic test,C=CH',
    actor: 'test',
  });
  const x = opensslSiteLeaf(dir, 'site-x', '/C=CH/O=vmic test/CN=Site X', rogue);
  const e = await refused(opensslTransfer(x, 'CN=Site X,O=vmic test,C=CH'));
  assert.equal(e.code, 'SUBJECT_MISMATCH');
  assert.equal(e.rule, 'peer.issuer');
  const pin = (await listPeers(b.inst)).find((p) => p.name === 'site-x')!.issuerPin;
  assert.equal(pin.source, 'configured');
  assert.equal(pin.keyId, undefined, 'a refused manifest pins nothing');
});

test('peer add --cert: only that certificate may sign the peer manifests', async () => {
  const given = opensslSiteLeaf(dir, 'site-y', '/C=CH/O=vmic test/CN=Site Y', rogue);
  const other = opensslSiteLeaf(dir, 'site-y-2', '/C=CH/O=vmic test/CN=Site Y', rogue);
  await addPeer(b.inst, {
    name: 'site-y',
    certificatePem: fs.readFileSync(given.certFile, 'utf8'),
    expectSubject: 'CN=Site Y,O=vmic test,C=CH',
    actor: 'test',
  });
  const e = await refused(opensslTransfer(other, 'CN=Site Y,O=vmic test,C=CH'));
  assert.equal(e.code, 'SUBJECT_MISMATCH');
  assert.equal(e.rule, 'peer.certificate');
  assert.match(e.message, /not the certificate given for peer site-y/);
  // The given certificate itself passes the peer checks: this (header-only) transfer is
  // refused later, for what it is, not for who signed it.
  const ok = await refused(opensslTransfer(given, 'CN=Site Y,O=vmic test,C=CH'));
  assert.notEqual(ok.code, 'SUBJECT_MISMATCH');
  assert.notEqual(ok.code, 'UNKNOWN_PEER');
});

test('a manifest signed by a TLS-only certificate (serverAuth) is refused with KEY_USAGE eku', async () => {
  // The peer is pinned to exactly this certificate, so every peer check passes: only the
  // signer rule (no EKU, anyExtendedKeyUsage, codeSigning or emailProtection) refuses it.
  const tls = opensslSiteLeaf(dir, 'site-z', '/C=CH/O=vmic test/CN=Site Z', rogue, [
    'extendedKeyUsage=serverAuth',
  ]);
  await addPeer(b.inst, {
    name: 'site-z',
    certificatePem: fs.readFileSync(tls.certFile, 'utf8'),
    expectSubject: 'CN=Site Z,O=vmic test,C=CH',
    actor: 'test',
  });
  const e = await refused(opensslTransfer(tls, 'CN=Site Z,O=vmic test,C=CH'));
  assert.equal(e.code, 'KEY_USAGE');
  assert.equal(e.rule, 'eku');
  const listed = (await listMigrations(b.inst)).find(
    (m) => m.state === 'refused' && m.reason?.code === 'KEY_USAGE',
  );
  assert.ok(listed, 'the refusal is listed');
});
