import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeCertificate, derToPem } from '../../../pki/index.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { formatHepixDate } from '../../../catalog/hepix/index.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { vmcasterList } from '../hepix/helpers.ts';
import { catalogNQuads } from './helpers/signed-feed.ts';
import { startFeedHost, type FeedHost } from './helpers/feed-host.ts';
import { dumpSiteState } from './helpers/site-dump.ts';
import {
  opensslCmsSign,
  opensslLeaf,
  opensslRoot,
  opensslSmimeSign,
  type IssuedCert,
  type OpensslCa,
  type OpensslCert,
} from '../../helpers/openssl/index.ts';

// Issue 10 item 5 (who may sign): a TLS server certificate (extKeyUsage serverAuth only)
// issued by a trusted CA, made with `openssl ca`, signs a catalog and an image list with
// `openssl cms -sign` / `openssl smime -sign`: refused KEY_USAGE rule `eku`. The same CA's
// codeSigning certificate is accepted.
const HOUR = 3600_000;
const DAY = 24 * HOUR;

let dir: string;
let ca: OpensslCa;
let tls: OpensslCert;
let code: OpensslCert;
let feeds: FeedHost;

function asCert(c: IssuedCert): OpensslCert {
  const info = describeCertificate(c.der);
  const pem = derToPem(c.der, 'CERTIFICATE');
  return { ...c, pem, subject: info.subject, issuer: info.issuer };
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-eku-'));
  ca = opensslRoot(dir, 'ca', '/O=vmic test/CN=EKU Test CA');
  tls = asCert(opensslLeaf(ca, 'tls', '/O=vmic test/CN=Web Endorser', 'tls_server'));
  code = asCert(opensslLeaf(ca, 'code', '/O=vmic test/CN=Code Endorser', 'signer_code'));
  feeds = await startFeedHost();
});
after(async () => {
  await feeds.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function site() {
  const now = Math.floor(Date.now() / 1000) * 1000;
  const t = await tempInstance({ now: () => new Date(now) });
  await addTrustMaterial(t.inst, derToPem(ca.der, 'CERTIFICATE'), 'test');
  return { ...t, now };
}

async function catalog(signer: OpensslCert, now: number): Promise<Buffer> {
  const nquads = await catalogNQuads({
    signer,
    sequence: 1,
    issued: new Date(now - HOUR),
    expires: new Date(now + 30 * DAY),
    images: [{ identifier: 'img-1', sha256: 'e'.repeat(64), byteSize: 10 }],
  });
  return opensslCmsSign(dir, nquads, signer);
}

test('the TLS certificate really is serverAuth only (as openssl shows it)', () => {
  assert.deepEqual(describeCertificate(tls.der).extKeyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.deepEqual(describeCertificate(code.der).extKeyUsage, ['1.3.6.1.5.5.7.3.3']);
});

for (const [signer, expected] of [
  ['tls', 'KEY_USAGE'],
  ['code', 'applied'],
] as const) {
  test(`RDF catalog signed by the ${signer} certificate → ${expected}`, async () => {
    const t = await site();
    const cert = signer === 'tls' ? tls : code;
    try {
      await subscribe(t.inst, {
        url: feeds.url(`/feeds/${signer}/`),
        expectSubject: cert.subject,
        name: signer,
        actor: 'test',
        log: 'off',
      });
      const state = await dumpSiteState(t.inst);
      feeds.serve(`/feeds/${signer}/catalog.p7m`, await catalog(cert, t.now));
      const [outcome] = await runImport(t.inst, { actor: 'test' });
      if (expected === 'applied') {
        assert.equal(outcome?.status, 'applied', outcome?.message);
        return;
      }
      assert.equal(outcome?.status, 'failed');
      assert.equal(outcome?.code, 'KEY_USAGE', outcome?.message);
      assert.equal(outcome?.rule, 'eku');
      assert.equal(await dumpSiteState(t.inst), state, 'site state changed by a refused import');
    } finally {
      await t.cleanup();
    }
  });
}

test('HEPiX image list signed by the serverAuth-only certificate → KEY_USAGE eku', async () => {
  const t = await site();
  try {
    await subscribe(t.inst, {
      url: feeds.url('/store/tls.vo/image.list'),
      format: 'hepix',
      expectSubject: tls.subject,
      name: 'tls-vo',
      actor: 'test',
    });
    const json = vmcasterList({
      version: '1',
      created: formatHepixDate(new Date(t.now - HOUR)),
      expires: formatHepixDate(new Date(t.now + 30 * DAY)),
      dn: '/O=vmic test/CN=Web Endorser',
      ca: '/O=vmic test/CN=EKU Test CA',
      images: [{ identifier: 'alma9', bytes: Buffer.from('v1'), url: 'http://x/' }],
    });
    feeds.serve(
      '/store/tls.vo/image.list',
      opensslSmimeSign(dir, json, { cert: tls.certFile, key: tls.keyFile }),
    );
    const [outcome] = await runImport(t.inst, { actor: 'test' });
    assert.equal(outcome?.code, 'KEY_USAGE', outcome?.message);
    assert.equal(outcome?.rule, 'eku');
  } finally {
    await t.cleanup();
  }
});
