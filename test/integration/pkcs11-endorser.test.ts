import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { addTrustMaterial } from '../../catalog/site/trust-store.ts';
import { addEndorser } from '../../catalog/endorsers.ts';
import { addImageFromStream } from '../../catalog/images.ts';
import { publishCatalog } from '../../catalog/publish.ts';
import { subscribe } from '../../catalog/site/subscriptions.ts';
import { runImport } from '../../catalog/site/import-run.ts';
import { syntheticImage } from '../../scripts/fixtures/published-endorser.ts';
import { vmicAsync } from '../helpers/cli.ts';
import {
  opensslCmsVerify,
  opensslRoot,
  opensslSignCsr,
  type OpensslCa,
} from '../helpers/openssl/index.ts';
import { removeDirs, serve, tempDir, type Served } from './helpers/log-instances.ts';

/*
 * Endorser keys in a PKCS#11 token (issue 18), with SoftHSM2 (test/setup/softhsm.sh made
 * the token): `vmic pki keygen` makes the key in the token and a CSR that stock `openssl
 * ca` signs; `vmic endorser add --pkcs11` registers it; the catalog it publishes verifies
 * with `openssl cms -verify`, and a site imports it. `pkcs11-tool` (OpenSC) shows the key
 * sensitive and never extractable, and the database holds no key for the endorser.
 */
const MODULE = process.env.VMIC_TEST_PKCS11_MODULE;
const TOKEN = process.env.VMIC_TEST_PKCS11_TOKEN;
const PIN = process.env.VMIC_TEST_PKCS11_PIN;
let ca: OpensslCa;
let work: string;
let endorser: Served;
let site: Served;
const SUBJECT = 'CN=vmic HSM Endorser,O=vmic test,C=CH';

before(async () => {
  assert.ok(
    MODULE && TOKEN && PIN && process.env.SOFTHSM2_CONF,
    'run through npm test: test/setup/softhsm.sh makes the token and sets VMIC_TEST_PKCS11_*',
  );
  // vmic reads the module and PIN from its configuration (here: the environment).
  process.env.VMIC_PKCS11_MODULE = MODULE;
  process.env.VMIC_PKCS11_PIN = PIN;
  work = tempDir('pkcs11');
  ca = opensslRoot(path.join(work, 'ca'), 'root', '/CN=vmic HSM Test Root/O=vmic test/C=CH');
  endorser = await serve(tempDir('hsm-endorser'));
  site = await serve(tempDir('hsm-site'));
  await addTrustMaterial(site.inst, fs.readFileSync(ca.certFile, 'utf8'), 'test');
});

after(async () => {
  await endorser?.close();
  await site?.close();
  removeDirs(work, endorser.dir, site.dir);
});

for (const alg of ['ECDSA-P256', 'RSA-2048'] as const) {
  test(`${alg}: a key made in the token signs a catalog openssl verifies and a site imports`, async () => {
    const label = `endorser-${alg.toLowerCase()}`;
    const name = `hsm-${alg.toLowerCase().replace(/[^a-z0-9]/g, '')}`;
    const csr = path.join(work, `${label}.csr`);
    const keygen = await vmicAsync([
      'pki',
      'keygen',
      '--pkcs11',
      `pkcs11:token=${TOKEN};object=${label}`,
      '--subject',
      SUBJECT,
      '--key-algorithm',
      alg,
      '--out',
      csr,
    ]);
    assert.equal(keygen.status, 0, keygen.stderr);
    assert.match(keygen.stdout, new RegExp(`object=${label};id=(%[0-9A-F]{2}){16};type=private`));
    const cert = opensslSignCsr(ca, csr, label);

    // OpenSC's view of the token: the private key is sensitive and never left it.
    const listed = spawnSync(
      'pkcs11-tool',
      [
        '--module',
        MODULE!,
        '--token-label',
        TOKEN!,
        '--login',
        '--pin',
        PIN!,
        '--list-objects',
        '--type',
        'privkey',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(listed.status, 0, listed.stderr);
    const entry = listed.stdout
      .split(/(?=Private Key Object)/)
      .find((b) => b.includes(`label:      ${label}`));
    assert.ok(entry, listed.stdout);
    assert.match(entry, /Access:\s+sensitive, always sensitive, never extractable, local/);

    const added = await addEndorser(endorser.inst, {
      name,
      certificatePem: fs.readFileSync(cert.certFile, 'utf8'),
      pkcs11: `pkcs11:token=${TOKEN};object=${label}`,
      actor: 'test',
    });
    const row = await endorser.inst.store.db
      .selectFrom('endorsers')
      .select(['sealed_key', 'key_uri'])
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    assert.equal(row.sealed_key.length, 0, 'nothing of the key is in the database');
    assert.match(row.key_uri ?? '', /^pkcs11:token=vmic-test;object=endorser-/);
    await addImageFromStream(endorser.inst, {
      endorser: name,
      identifier: 'alma9',
      metadata: { title: 'AlmaLinux 9' },
      actor: 'test',
      source: syntheticImage(label, 4096),
    });
    await publishCatalog(endorser.inst, { endorser: name, actor: 'test' });

    const p7m = path.join(work, `${name}.p7m`);
    fs.writeFileSync(
      p7m,
      Buffer.from(await (await fetch(`${endorser.url}/feeds/${name}/catalog.p7m`)).arrayBuffer()),
    );
    const verified = opensslCmsVerify(p7m, ca.certFile);
    assert.equal(verified.status, 0, verified.stderr);
    assert.match(verified.stdout.toString(), /vmic#sequence|vmic:sequence|sequence/);

    await subscribe(site.inst, {
      url: `${endorser.url}/feeds/${name}/`,
      expectSubject: added.subject,
      actor: 'test',
    });
    const [imported] = await runImport(site.inst, { subscription: name, actor: 'test' });
    assert.equal(imported?.status, 'applied', imported?.message);
  });
}

test('a token key that is not the certificate’s is refused; so is a PIN on the command line', async () => {
  const ecCert = fs.readFileSync(path.join(ca.dir, 'endorser-ecdsa-p256.pem'), 'utf8');
  await assert.rejects(
    addEndorser(endorser.inst, {
      name: 'mismatch',
      certificatePem: ecCert,
      pkcs11: `pkcs11:token=${TOKEN};object=endorser-rsa-2048`,
      actor: 'test',
    }),
    /the token key does not belong to the certificate/,
  );
  const r = await vmicAsync([
    'pki',
    'keygen',
    '--pkcs11',
    `pkcs11:token=${TOKEN};object=x?pin-value=${PIN}`,
    '--subject',
    SUBJECT,
  ]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /pin-value/);
  assert.match(r.stderr, /VMIC_PKCS11_PIN/);
});
