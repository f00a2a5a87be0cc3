import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { addEndorser, getEndorser, listEndorsers } from '../../catalog/index.ts';
import { loadSigner } from '../../catalog/endorsers.ts';
import { opensslIdentity } from '../helpers/openssl/index.ts';
import { tempInstance } from '../helpers/temp-instance.ts';
import { rawQuery } from '../helpers/backends.ts';

test('an endorser is stored with its key sealed; no listing returns key material', async () => {
  const t = await tempInstance();
  try {
    const id = opensslIdentity(t.dir, { name: 'cern' });
    const e = await addEndorser(t.inst, {
      name: 'cern',
      certificatePem: id.certificatePem,
      keyPem: id.keyPem,
      actor: 'test',
    });
    assert.equal(e.subject, 'CN=cern,O=vmic test,C=CH');
    for (const shown of [e, await getEndorser(t.inst, 'cern'), ...(await listEndorsers(t.inst))]) {
      assert.doesNotMatch(JSON.stringify(shown), /PRIVATE KEY|sealed/i);
    }
    // The database (file or server) holds neither the PEM nor the DER of the private key.
    const der = crypto.createPrivateKey(id.keyPem).export({ type: 'pkcs8', format: 'der' });
    const [row] = await rawQuery(t.inst.config, 'select * from endorsers');
    assert.ok(row);
    const everything = Buffer.concat(
      Object.values(row).map((v) => (Buffer.isBuffer(v) ? v : Buffer.from(String(v)))),
    );
    assert.equal(everything.includes(der.subarray(30, 90)), false);
    assert.doesNotMatch(everything.toString('latin1'), /PRIVATE KEY/);
    // ...and the sealed key opens to a key that signs for this certificate.
    const signer = await loadSigner(t.inst, 'cern');
    assert.equal(signer.subject, e.subject);
  } finally {
    await t.cleanup();
  }
});

test('a key that does not belong to the certificate is refused', async () => {
  const t = await tempInstance();
  try {
    const a = opensslIdentity(t.dir, { name: 'a' });
    const b = opensslIdentity(t.dir, { name: 'b', alg: 'ec' });
    await assert.rejects(
      addEndorser(t.inst, {
        name: 'a',
        certificatePem: a.certificatePem,
        keyPem: b.keyPem,
        actor: 'test',
      }),
      { code: 'BAD_REQUEST' },
    );
    assert.deepEqual(await listEndorsers(t.inst), []);
  } finally {
    await t.cleanup();
  }
});

test('a certificate without digitalSignature is refused with KEY_USAGE', async () => {
  const t = await tempInstance();
  try {
    const id = opensslIdentity(t.dir, { keyUsage: 'keyEncipherment' });
    await assert.rejects(
      addEndorser(t.inst, {
        name: 'x',
        certificatePem: id.certificatePem,
        keyPem: id.keyPem,
        actor: 'test',
      }),
      { code: 'KEY_USAGE' },
    );
  } finally {
    await t.cleanup();
  }
});

test('names are checked, duplicates refused, garbage PEM is MALFORMED', async () => {
  const t = await tempInstance();
  try {
    const id = opensslIdentity(t.dir, { alg: 'ec' });
    for (const bad of ['../etc', 'UPPER', '', 'a/b', '-x']) {
      await assert.rejects(
        addEndorser(t.inst, {
          name: bad,
          certificatePem: id.certificatePem,
          keyPem: id.keyPem,
          actor: 'test',
        }),
        { code: 'BAD_REQUEST' },
        bad,
      );
    }
    await addEndorser(t.inst, {
      name: 'ec',
      certificatePem: id.certificatePem,
      keyPem: id.keyPem,
      actor: 'test',
    });
    await assert.rejects(
      addEndorser(t.inst, {
        name: 'ec',
        certificatePem: id.certificatePem,
        keyPem: id.keyPem,
        actor: 'test',
      }),
      { code: 'CONFLICT' },
    );
    await assert.rejects(
      addEndorser(t.inst, {
        name: 'g',
        certificatePem: 'not a certificate',
        keyPem: id.keyPem,
        actor: 'test',
      }),
      { code: 'MALFORMED' },
    );
  } finally {
    await t.cleanup();
  }
});
