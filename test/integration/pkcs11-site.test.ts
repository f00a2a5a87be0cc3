import assert from 'node:assert/strict';
import crypto, { webcrypto } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  buildDemoHierarchy,
  derToPem,
  issueCertificate,
  type DemoHierarchy,
} from '../../pki/index.ts';
import { webcryptoFor } from '../../pki/crypto-provider.ts';
import { generateTokenKey, tokenKey } from '../../catalog/secrets/pkcs11-token.ts';
import { getSiteIdentity, setSiteIdentity } from '../../catalog/migration/site-identity.ts';
import { unwrapDataKey, wrapDataKey } from '../../catalog/migration/key-wrap.ts';
import { migrateImage } from '../../catalog/migration/migrate.ts';
import { readStored } from '../catalog/blobs/stored-objects.ts';
import { addTrustMaterial } from '../../catalog/site/trust-store.ts';
import { startServer } from '../../server/index.ts';
import { tempInstance } from '../helpers/temp-instance.ts';
import { freePort } from '../helpers/free-port.ts';
import {
  deployableImageAt,
  peerWith,
  startSite,
  SUBJECTS,
  type Site,
} from '../catalog/migration/two-sites.ts';

/*
 * A migration to a site whose identity key is in a PKCS#11 token (issue 18, SoftHSM2 from
 * test/setup/softhsm.sh): the key is made in the token for a site (it signs, and decrypts
 * or derives), the demo CA certifies it, and A's transfer — its data key wrapped for that
 * certificate with RSA-OAEP-256 or ECDH-ES+A256KW by jose — is unwrapped in the token.
 */
const SIZE = 1024 * 1024;
let h: DemoHierarchy;
let a: Site;
let image: { identifier: string; sha256: string };
const cleanups: Array<() => Promise<void>> = [];

before(async () => {
  assert.ok(process.env.VMIC_TEST_PKCS11_PIN, 'run through npm test (test/setup/softhsm.sh)');
  process.env.VMIC_PKCS11_MODULE = process.env.VMIC_TEST_PKCS11_MODULE;
  process.env.VMIC_PKCS11_PIN = process.env.VMIC_TEST_PKCS11_PIN;
  h = await buildDemoHierarchy({ keyAlgorithm: 'RSA-2048', now: new Date() });
  a = await startSite(h, SUBJECTS.a, 'RSA-2048');
  image = await deployableImageAt(a, h, SIZE);
});

after(async () => {
  for (const c of cleanups) await c();
  await a?.cleanup();
});

/** A served site whose identity key was made in the token. */
async function tokenSite(alg: 'RSA-2048' | 'ECDSA-P256', subject: string): Promise<Site> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = await tempInstance({ publicUrl: url });
  const uri = `pkcs11:token=${process.env.VMIC_TEST_PKCS11_TOKEN};object=site-${alg.toLowerCase()}`;
  const kp = await generateTokenKey(uri, alg, process.env, 'site');
  // The certificate is made by the CA from the public key the token shows.
  const spki = await webcryptoFor(kp.publicKey).subtle.exportKey('spki', kp.publicKey);
  const publicKey = await webcrypto.subtle.importKey(
    'spki',
    spki,
    alg === 'RSA-2048'
      ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
      : { name: 'ECDSA', namedCurve: 'P-256' },
    true,
    ['verify'],
  );
  const now = Date.now();
  const cert = await issueCertificate({
    subject,
    publicKey,
    issuer: h.intermediate,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 30 * 86400_000),
    keyUsage:
      alg === 'RSA-2048'
        ? ['digitalSignature', 'keyEncipherment']
        : ['digitalSignature', 'keyAgreement'],
  });
  const trust =
    [h.root.certificate, h.intermediate.certificate]
      .map((c) => derToPem(c, 'CERTIFICATE'))
      .join('') + [h.crl, h.rootCrl].map((c) => derToPem(c, 'X509 CRL')).join('');
  await addTrustMaterial(t.inst, trust, 'test');
  await setSiteIdentity(t.inst, {
    certificatePem: derToPem(cert, 'CERTIFICATE'),
    pkcs11: uri,
    chainPem: derToPem(h.intermediate.certificate, 'CERTIFICATE'),
    actor: 'test',
  });
  const server = await startServer(t.inst, { host: '127.0.0.1', port });
  const site = {
    inst: t.inst,
    dir: t.dir,
    url,
    server,
    cleanup: async () => {
      await server.close();
      await t.cleanup();
    },
  };
  cleanups.push(site.cleanup);
  return site;
}

for (const [alg, subject] of [
  ['RSA-2048', SUBJECTS.b],
  ['ECDSA-P256', SUBJECTS.c],
] as const) {
  test(`${alg}: a migration to a site whose key is in the token is unwrapped there and verified`, async () => {
    const b = await tokenSite(alg, subject);
    const row = await b.inst.store.db
      .selectFrom('site_identity')
      .select(['sealed_key', 'key_uri'])
      .executeTakeFirstOrThrow();
    assert.equal(row.sealed_key.length, 0, 'the database holds nothing of the site key');
    assert.match(row.key_uri ?? '', /^pkcs11:token=/);
    const peer = `token-${alg.toLowerCase()}`;
    await peerWith(a, peer, { url: b.url }, subject);
    await peerWith(b, 'site-a', { url: a.url }, SUBJECTS.a);
    await migrateImage(a.inst, { image: 'alma9', to: peer, actor: 'test' });
    const cached = await readStored(b.inst.siteCache, image.sha256);
    assert.equal(crypto.createHash('sha256').update(cached).digest('hex'), image.sha256);
  });
}

test('a data key wrapped for another certificate, or tampered with, does not unwrap in the token', async () => {
  const uri = `pkcs11:token=${process.env.VMIC_TEST_PKCS11_TOKEN};object=site-rsa-2048`;
  const other = await startSite(h, 'CN=Other Site,O=vmic test,C=CH', 'RSA-2048');
  cleanups.push(() => other.cleanup());
  const otherCert = (await getSiteIdentity(other.inst)).certificatePem;
  const forOther = await wrapDataKey(crypto.randomBytes(32), otherCert);
  await assert.rejects(unwrapDataKey(forOther, { keyUri: uri }), { code: 'KEY_UNWRAP_FAILED' });
  const mine = (await tokenKey(uri)).publicKey!;
  const spki = await webcryptoFor(mine).subtle.exportKey('spki', mine);
  const pem = derToPem(
    await issueCertificate({
      subject: 'CN=Probe,O=vmic test,C=CH',
      publicKey: await webcrypto.subtle.importKey(
        'spki',
        spki,
        { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        true,
        ['verify'],
      ),
      issuer: h.intermediate,
      notBefore: new Date(Date.now() - 3600_000),
      notAfter: new Date(Date.now() + 86400_000),
      keyUsage: ['digitalSignature', 'keyEncipherment'],
    }),
    'CERTIFICATE',
  );
  const key = crypto.randomBytes(32);
  const jwe = await wrapDataKey(key, pem);
  assert.deepEqual(Buffer.from(await unwrapDataKey(jwe, { keyUri: uri })), key);
  const parts = jwe.split('.');
  const ct = Buffer.from(parts[3]!, 'base64url');
  ct[0]! ^= 1;
  parts[3] = ct.toString('base64url');
  await assert.rejects(unwrapDataKey(parts.join('.'), { keyUri: uri }), {
    code: 'KEY_UNWRAP_FAILED',
  });
});
