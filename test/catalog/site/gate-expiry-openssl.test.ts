import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeCertificate, derToPem } from '../../../pki/index.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { decideDeployment } from '../../../catalog/site/gate.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { catalogNQuads } from './helpers/signed-feed.ts';
import { startFeedHost, type FeedHost } from './helpers/feed-host.ts';
import {
  opensslCmsSign,
  opensslLeaf,
  opensslRoot,
  type OpensslCa,
  type OpensslCert,
} from '../../helpers/openssl/index.ts';

// Issue 14: a gate decision made just after the signer certificate's notAfter refuses,
// with a signer that stock `openssl ca` issued (`-enddate`) and a catalog that `openssl
// cms -sign` signed, so that the expiry is read from bytes vmic did not write.
const HOUR = 3600_000;
const DAY = 24 * HOUR;

let dir: string;
let ca: OpensslCa;
let signer: OpensslCert;
let feeds: FeedHost;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-expiry-'));
  ca = opensslRoot(dir, 'ca', '/O=vmic test/CN=Expiry Test CA');
  const issued = opensslLeaf(ca, 'short', '/O=vmic test/CN=Short-lived Endorser', 'signer_code', {
    notAfter: new Date(Date.now() + 2 * DAY),
  });
  const info = describeCertificate(issued.der);
  signer = {
    ...issued,
    pem: derToPem(issued.der, 'CERTIFICATE'),
    subject: info.subject,
    issuer: info.issuer,
  };
  feeds = await startFeedHost();
});
after(async () => {
  await feeds.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('openssl-issued signer: the gate refuses CERT_EXPIRED just after its notAfter, not before', async () => {
  const notAfter = describeCertificate(signer.der).notAfter.getTime();
  let now = Math.floor(Date.now() / 1000) * 1000;
  const t = await tempInstance({ now: () => new Date(now) });
  try {
    await addTrustMaterial(t.inst, derToPem(ca.der, 'CERTIFICATE'), 'test');
    await subscribe(t.inst, {
      url: feeds.url('/feeds/short/'),
      expectSubject: signer.subject,
      name: 'short',
      actor: 'test',
      log: 'off',
    });
    const nquads = await catalogNQuads({
      signer,
      sequence: 1,
      issued: new Date(now - HOUR),
      expires: new Date(now + 30 * DAY),
      images: [{ identifier: 'img-1', sha256: 'e'.repeat(64), byteSize: 10 }],
    });
    feeds.serve('/feeds/short/catalog.p7m', opensslCmsSign(dir, nquads, signer));
    const [outcome] = await runImport(t.inst, { actor: 'test' });
    assert.equal(outcome?.status, 'applied', outcome?.message);
    const codes = async () => (await decideDeployment(t.inst, 'img-1')).reasons.map((r) => r.code);
    // Not fetched nor approved here: those reasons stay; only the signer's changes.
    now = notAfter - 1000;
    assert.deepEqual(await codes(), ['NOT_APPROVED', 'NOT_FETCHED']);
    now = notAfter + 1000;
    assert.deepEqual(await codes(), ['NOT_APPROVED', 'NOT_FETCHED', 'CERT_EXPIRED']);
  } finally {
    await t.cleanup();
  }
});
