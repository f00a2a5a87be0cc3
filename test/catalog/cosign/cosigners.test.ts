import { test } from 'node:test';
import assert from 'node:assert/strict';
import { publishCatalog } from '../../../catalog/index.ts';
import { addCosigner, listCosigners } from '../../../catalog/cosign/cosigners.ts';
import { removeCosigner, setThreshold } from '../../../catalog/cosign/threshold.ts';
import { signPending } from '../../../catalog/cosign/sign.ts';
import { discardPending } from '../../../catalog/cosign/pending.ts';
import { cosignFixture } from './cosign-fixture.ts';

async function refused(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (e: { code?: string; message: string }) => {
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    return true;
  });
}

test('co-signers and the threshold: bounds, refusals, audit entries', async () => {
  const f = await cosignFixture(1);
  try {
    const list = await listCosigners(f.inst, 'cern');
    assert.deepEqual(
      list.map((c) => [c.name, c.key]),
      [
        ['dept', 'sealed'],
        ['partner', 'external'],
      ],
    );
    // K at most 1 + co-signers, at least 1.
    await refused(
      setThreshold(f.inst, { endorser: 'cern', threshold: 4, actor: 't' }),
      'BAD_REQUEST',
    );
    await refused(
      setThreshold(f.inst, { endorser: 'cern', threshold: 0, actor: 't' }),
      'BAD_REQUEST',
    );
    // The endorser's own certificate, or one a co-signer already has, is no second signer.
    await refused(
      addCosigner(f.inst, {
        endorser: 'cern',
        name: 'self',
        certificatePem: f.ids.cern.certificatePem,
        external: true,
        actor: 't',
      }),
      'CONFLICT',
    );
    await refused(
      addCosigner(f.inst, {
        endorser: 'cern',
        name: 'again',
        certificatePem: f.ids.partner.certificatePem,
        external: true,
        actor: 't',
      }),
      'CONFLICT',
      /same certificate/,
    );
    // A key that is not the certificate's.
    await refused(
      addCosigner(f.inst, {
        endorser: 'cern',
        name: 'wrongkey',
        certificatePem: f.ids.stranger.certificatePem,
        keyPem: f.ids.dept.keyPem,
        actor: 't',
      }),
      'BAD_REQUEST',
    );
    await setThreshold(f.inst, { endorser: 'cern', threshold: 3, actor: 't' });
    await refused(
      removeCosigner(f.inst, { endorser: 'cern', name: 'dept', actor: 't' }),
      'CONFLICT',
      /lower the threshold/,
    );
    await setThreshold(f.inst, { endorser: 'cern', threshold: 2, actor: 't' });
    await publishCatalog(f.inst, { endorser: 'cern', actor: 't' });
    // A pending catalog keeps the threshold it was made with.
    await setThreshold(f.inst, { endorser: 'cern', threshold: 3, actor: 't' });
    await setThreshold(f.inst, { endorser: 'cern', threshold: 2, actor: 't' });
    const first = await signPending(f.inst, { endorser: 'cern', as: 'dept', actor: 't' });
    assert.ok(first.published);
    f.advance(2000);
    await publishCatalog(f.inst, { endorser: 'cern', actor: 't' });
    await setThreshold(f.inst, { endorser: 'cern', threshold: 3, actor: 't' });
    const second = await signPending(f.inst, { endorser: 'cern', as: 'dept', actor: 't' });
    assert.equal(second.threshold, 2);
    assert.equal(second.published?.sequence, 2);
    // A signer whose signature a pending catalog holds is not removed under it.
    f.advance(2000);
    await publishCatalog(f.inst, { endorser: 'cern', actor: 't' });
    const held = await signPending(f.inst, { endorser: 'cern', as: 'dept', actor: 't' });
    assert.equal(held.published, undefined);
    await setThreshold(f.inst, { endorser: 'cern', threshold: 2, actor: 't' });
    await refused(
      removeCosigner(f.inst, { endorser: 'cern', name: 'dept', actor: 't' }),
      'CONFLICT',
      /discard it first/,
    );
    await discardPending(f.inst, { endorser: 'cern', actor: 't' });
    await removeCosigner(f.inst, { endorser: 'cern', name: 'partner', actor: 't' });
    assert.deepEqual(
      (await listCosigners(f.inst, 'cern')).map((c) => c.name),
      ['dept'],
    );
    const actions = (
      await f.inst.store.db
        .selectFrom('audit_log')
        .select('action')
        .where('subject', '=', 'cern')
        .execute()
    ).map((r) => r.action);
    for (const a of [
      'endorser.cosigner-added',
      'endorser.cosigner-removed',
      'endorser.threshold-set',
      'catalog.pending',
      'catalog.cosigned',
      'catalog.pending-discarded',
      'catalog.published',
    ])
      assert.ok(actions.includes(a), a);
  } finally {
    await f.cleanup();
  }
});
