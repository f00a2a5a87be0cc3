import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createToken, publishCatalog } from '../../../catalog/index.ts';
import { signPending } from '../../../catalog/cosign/sign.ts';
import { FULL_SCOPE, healthSummary } from '../../../catalog/site/health.ts';
import { describeHealth } from '../../../scripts/cli/commands/status.ts';
import { startServer } from '../../../server/index.ts';
import { promtool, sample } from '../../server/metrics-helpers.ts';
import { cosignFixture } from './cosign-fixture.ts';

const GAUGE = 'vmic_pending_catalog_signatures_needed';

test('a pending co-signed catalog is a warning in status and a gauge in the metrics until signed', async () => {
  const f = await cosignFixture(3);
  const server = await startServer(f.inst, { host: '127.0.0.1', port: 0 }, { log: () => {} });
  try {
    const { token } = await createToken(f.inst, { role: 'metrics', ttlSeconds: 600, actor: 't' });
    const metrics = async () =>
      (
        await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
      ).text();
    assert.equal(sample(await metrics(), `${GAUGE}{endorser="cern"}`), undefined);

    await publishCatalog(f.inst, { endorser: 'cern', actor: 'alice' });
    const waiting = await healthSummary(f.inst, FULL_SCOPE);
    const cern = waiting.endorsers.find((e) => e.name === 'cern');
    assert.deepEqual(
      { ...cern?.pending, issuedAt: undefined },
      { sequence: 1, threshold: 3, signed: 1, needed: 2, issuedAt: undefined },
    );
    assert.equal(waiting.verdict, 'warning');
    assert.ok(
      waiting.problems.some((p) =>
        /endorser cern: catalog 1 waits for 2 more co-signatures \(1 of 3; vmic catalog pending cern\)/.test(
          p.text,
        ),
      ),
      JSON.stringify(waiting.problems),
    );
    assert.ok(
      describeHealth(waiting).includes('    pending: sequence 1, 1 of 3 signatures, 2 more needed'),
    );
    const text = await metrics();
    assert.equal(sample(text, `${GAUGE}{endorser="cern"}`), 2);
    const lint = promtool(['check', 'metrics'], text);
    assert.equal(lint.status, 0, lint.output);

    await signPending(f.inst, { endorser: 'cern', as: 'dept', actor: 'bob' });
    assert.equal(sample(await metrics(), `${GAUGE}{endorser="cern"}`), 1);
    const after = (await healthSummary(f.inst, FULL_SCOPE)).endorsers[0];
    assert.equal(after?.pending?.needed, 1);
  } finally {
    await server.close();
    await f.cleanup();
  }
});
