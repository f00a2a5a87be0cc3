/**
 * While `vmic publish` of 10,000 images holds the database's write lock from its own
 * process, the running `vmic serve` keeps answering /healthz (polled every 50 ms). The
 * worst latency is reported, not asserted (speed belongs in `npm run bench`, which prints
 * the same figure); what is asserted is that the server answered throughout and that the
 * publish went through.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { opensslIdentity } from '../helpers/openssl/index.ts';
import { tempInstance } from '../helpers/temp-instance.ts';
import { freePort } from '../helpers/free-port.ts';
import { addPublishedEndorser } from '../../scripts/fixtures/published-endorser.ts';
import {
  describeLatencies,
  healthDuringPublish,
} from '../../scripts/bench/health-during-publish.ts';
import { getCatalogVersion, openInstance, resolveConfig } from '../../catalog/index.ts';

let t: Awaited<ReturnType<typeof tempInstance>>;

before(async () => {
  t = await tempInstance();
  const id = opensslIdentity(t.dir, { alg: 'ec' });
  await addPublishedEndorser(t.inst, {
    name: 'big',
    identity: { certificatePem: id.certificatePem, keyPem: id.keyPem },
    images: { rows: 10_000 },
    actor: 'test',
    publish: false,
  });
  await t.inst.close();
});

after(async () => {
  // The instance was closed before the server and the CLI opened the directory.
  await t.cleanup().catch(() => {});
});

test('vmic serve answers /healthz throughout a 10,000-image vmic publish from the CLI', async () => {
  const r = await healthDuringPublish(t.dir, 'big', await freePort());
  console.log(
    `/healthz during a 10,000-image publish (${r.publishSeconds.toFixed(2)} s): ${describeLatencies(r.latenciesMs)}`,
  );
  assert.equal(r.publishExit, 0);
  assert.equal(r.failures, 0, 'every poll answered 200');
  assert.ok(
    r.latenciesMs.length >= 2,
    `the server answered while the publish ran (${r.latenciesMs.length} polls)`,
  );
  const inst = await openInstance(resolveConfig({ dataDir: t.dir, env: {} }), { env: {} });
  try {
    const v = await getCatalogVersion(inst, 'big');
    assert.equal(v.sequence, 1);
    assert.equal(v.imageCount, 10_000);
  } finally {
    await inst.close();
  }
});
