import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { derToPem } from '../../../pki/index.ts';
import type { ReasonCode } from '../../../errors/index.ts';
import {
  FIXTURE_TIME,
  NAMES,
  crlOf,
  scenario,
  writeScenario,
  type Scenario,
} from '../../fixtures/pki-fixtures.ts';
import { addTrustMaterial } from '../../../catalog/site/trust-store.ts';
import { subscribe } from '../../../catalog/site/subscriptions.ts';
import { runImport } from '../../../catalog/site/import-run.ts';
import { fetchImages } from '../../../catalog/site/fetch-images.ts';
import { approveEndorser, approveImage } from '../../../catalog/site/approvals.ts';
import { decideDeployment } from '../../../catalog/site/gate.ts';
import { formatHepixDate } from '../../../catalog/hepix/index.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';
import { dumpSiteState } from '../site/helpers/site-dump.ts';
import { opensslSmimeSign } from '../../helpers/openssl/index.ts';
import { startServer, vmcasterList } from './helpers.ts';

// Issue 6: a list made the way vmcaster makes it (stock `openssl smime -sign` over the
// JSON, not vmic's code) is imported, fetched by SHA-512, approved and passes the gate;
// every refusal leaves the site as it was.
const DAY = 86400_000;
const at = (days: number) => formatHepixDate(new Date(FIXTURE_TIME.getTime() + days * DAY));
const SLASH_LEAF = '/C=CH/O=vmic fixtures/CN=Fixture Endorser';
const SLASH_CA = '/C=CH/O=vmic fixtures/CN=Fixture Intermediate CA';

let pki: Scenario;
let dir: string;
let server: Awaited<ReturnType<typeof startServer>>;
const image = { identifier: 'alma9', bytes: crypto.randomBytes(300_000) };
let keys: { cert: string; key: string; chain: string };

before(async () => {
  pki = await scenario();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmic-hepix-'));
  await writeScenario(pki, dir);
  keys = {
    cert: path.join(dir, 'leaf.pem'),
    key: path.join(dir, 'leaf.key'),
    chain: path.join(dir, 'intermediates.pem'),
  };
  server = await startServer();
  server.serve('/images/alma9.qcow2', image.bytes);
});
after(async () => {
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function list(over: Partial<Parameters<typeof vmcasterList>[0]> = {}): Buffer {
  return opensslSmimeSign(
    dir,
    vmcasterList({
      version: '3',
      created: at(-1),
      expires: at(10),
      dn: SLASH_LEAF,
      ca: SLASH_CA,
      images: [
        {
          ...image,
          url: server.url('/images/alma9.qcow2'),
          extra: { 'ad:appid': '1234', 'ad:group': 'fixture' },
        },
      ],
      ...over,
    }),
    keys,
  );
}

async function site() {
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
    actor: 'test',
  });
  return t;
}

async function importList(t: Awaited<ReturnType<typeof site>>, bytes: Buffer | undefined) {
  server.serve('/store/fixture.vo/image.list', bytes);
  const [outcome] = await runImport(t.inst, { actor: 'test' });
  return outcome!;
}

async function expectRefusal(
  t: Awaited<ReturnType<typeof site>>,
  bytes: Buffer,
  code: ReasonCode,
  rule?: string,
) {
  const before = await dumpSiteState(t.inst);
  const outcome = await importList(t, bytes);
  assert.equal(outcome.status, 'failed');
  assert.equal(outcome.code, code, outcome.message);
  if (rule) assert.equal(outcome.rule, rule);
  assert.deepEqual(await dumpSiteState(t.inst), before, 'site state changed by a refused import');
}

test('a vmcaster-style list is imported, fetched by SHA-512, approved and deployable', async () => {
  const t = await site();
  try {
    const outcome = await importList(t, list());
    assert.equal(outcome.status, 'applied', outcome.message);
    assert.equal(outcome.listVersion, '3');
    const row = await t.inst.store.db
      .selectFrom('site_images')
      .selectAll()
      .executeTakeFirstOrThrow();
    assert.equal(row.sha256, null, 'no SHA-256 is known before the fetch');
    assert.equal(row.sha512, crypto.createHash('sha512').update(image.bytes).digest('hex'));
    assert.deepEqual(JSON.parse(row.extra ?? '{}'), {
      'ad:appid': '1234',
      'ad:group': 'fixture',
      'sl:comments': '',
    });
    assert.equal(row.os_version, 'AlmaLinux 9');

    let d = await decideDeployment(t.inst, 'alma9');
    assert.deepEqual(d.reasons.map((r) => r.code).sort(), ['NOT_APPROVED', 'NOT_FETCHED']);
    // Before the fetch there is no SHA-256 to bind an image approval to.
    await assert.rejects(approveImage(t.inst, { image: 'alma9', actor: 'test' }), {
      code: 'NOT_FETCHED',
    });

    const fetched = await fetchImages(t.inst, { actor: 'test' });
    assert.equal(fetched.totals.fetched, 1, JSON.stringify(fetched.images));
    const sha256 = crypto.createHash('sha256').update(image.bytes).digest('hex');
    assert.equal(fetched.images[0]?.sha256, sha256);
    d = await decideDeployment(t.inst, 'alma9');
    assert.deepEqual(
      d.reasons.map((r) => r.code),
      ['NOT_APPROVED'],
    );
    await approveImage(t.inst, { image: 'alma9', actor: 'test' });
    d = await decideDeployment(t.inst, `sha256:${sha256}`);
    assert.equal(d.deployable, true, JSON.stringify(d.reasons));

    // The same list again: unchanged, and the learned SHA-256 stays.
    assert.equal((await importList(t, list())).status, 'unchanged');
    assert.equal((await decideDeployment(t.inst, 'alma9')).deployable, true);

    // A higher version with other bytes under the same identifier drops the learned
    // SHA-256: the approval does not carry over.
    const other = crypto.randomBytes(1000);
    server.serve('/images/alma9-v2.qcow2', other);
    const v4 = list({
      version: '4',
      images: [{ identifier: 'alma9', bytes: other, url: server.url('/images/alma9-v2.qcow2') }],
    });
    assert.equal((await importList(t, v4)).status, 'applied');
    d = await decideDeployment(t.inst, 'alma9');
    assert.deepEqual(d.reasons.map((r) => r.code).sort(), ['NOT_APPROVED', 'NOT_FETCHED']);
  } finally {
    await t.cleanup();
  }
});

test('served bytes that do not match the signed SHA-512 are quarantined, never cached', async () => {
  const t = await site();
  try {
    const bad = Buffer.from(image.bytes);
    bad[10]! ^= 1;
    server.serve('/images/bad.qcow2', bad);
    const l = opensslSmimeSign(
      dir,
      vmcasterList({
        version: '1',
        created: at(-1),
        expires: at(10),
        dn: SLASH_LEAF,
        ca: SLASH_CA,
        images: [{ identifier: 'bad', bytes: image.bytes, url: server.url('/images/bad.qcow2') }],
      }),
      keys,
    );
    assert.equal((await importList(t, l)).status, 'applied');
    await approveEndorser(t.inst, { subscription: 'fixture', actor: 'test' });
    const fetched = await fetchImages(t.inst, { actor: 'test' });
    assert.equal(fetched.images[0]?.outcome, 'quarantined');
    assert.equal(fetched.images[0]?.code, 'HASH_MISMATCH');
    const d = await decideDeployment(t.inst, 'bad');
    assert.deepEqual(
      d.reasons.map((r) => r.code),
      ['NOT_FETCHED'],
    );
  } finally {
    await t.cleanup();
  }
});

test('a list signed with `openssl smime -sign -text` (text/plain part headers) is accepted', async () => {
  const t = await site();
  try {
    const json = vmcasterList({
      version: '1',
      created: at(-1),
      expires: at(10),
      dn: SLASH_LEAF,
      ca: SLASH_CA,
      images: [{ ...image, url: server.url('/images/alma9.qcow2') }],
    });
    const outcome = await importList(t, opensslSmimeSign(dir, json, keys, ['-text']));
    assert.equal(outcome.status, 'applied', outcome.message);
  } finally {
    await t.cleanup();
  }
});

test('hv:dn of another endorser → SUBJECT_MISMATCH; signer not the pinned one → SUBJECT_MISMATCH', async () => {
  const t = await site();
  try {
    await expectRefusal(
      t,
      list({ dn: '/C=CH/O=vmic fixtures/CN=Someone Else' }),
      'SUBJECT_MISMATCH',
      'hv:dn',
    );
    await expectRefusal(t, list({ ca: SLASH_LEAF }), 'SUBJECT_MISMATCH', 'hv:ca');
    await t.inst.store.db
      .updateTable('subscriptions')
      .set({ expect_subject: NAMES.intermediate })
      .execute();
    await expectRefusal(t, list(), 'SUBJECT_MISMATCH', 'pin.subject');
  } finally {
    await t.cleanup();
  }
});

test('expired list → CATALOG_EXPIRED; created in the future → MALFORMED', async () => {
  const t = await site();
  try {
    await expectRefusal(
      t,
      list({ created: at(-20), expires: at(-1) }),
      'CATALOG_EXPIRED',
      'dc:date:expires',
    );
    await expectRefusal(t, list({ created: at(1) }), 'MALFORMED', 'dc:date:created');
  } finally {
    await t.cleanup();
  }
});

test('lower hv:version → ROLLBACK; same version, other content → EQUIVOCATION', async () => {
  const t = await site();
  try {
    assert.equal((await importList(t, list({ version: '1.10' }))).status, 'applied');
    await expectRefusal(t, list({ version: '1.9' }), 'ROLLBACK', 'hv:version');
    await expectRefusal(
      t,
      list({ version: '1.10', created: at(-2) }),
      'EQUIVOCATION',
      'hv:version',
    );
    await expectRefusal(
      t,
      list({ version: '2', identifier: '11111111-2222-4333-8444-555555555555' }),
      'SUBJECT_MISMATCH',
      'dc:identifier',
    );
  } finally {
    await t.cleanup();
  }
});

test('missing required key → MALFORMED naming the key', async () => {
  const t = await site();
  try {
    for (const key of ['dc:date:expires', 'hv:version', 'dc:identifier', 'hv:endorser']) {
      await expectRefusal(t, list({ drop: key }), 'MALFORMED', key);
    }
  } finally {
    await t.cleanup();
  }
});

test('tampered list (one byte of the signed JSON) → SIGNATURE_INVALID; not S/MIME → MALFORMED', async () => {
  const t = await site();
  try {
    const bytes = list();
    const i = bytes.indexOf(Buffer.from('fixture.vo'));
    bytes[i]! ^= 0x20;
    await expectRefusal(t, bytes, 'SIGNATURE_INVALID');
    await expectRefusal(t, Buffer.from('{"hv:imagelist": {}}'), 'MALFORMED', 'smime');
  } finally {
    await t.cleanup();
  }
});
