import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openInstance } from '../../../catalog/index.ts';
import { DatabaseSamlRequestCache } from '../../../server/web/saml-request-cache.ts';
import { tempInstance } from '../../helpers/temp-instance.ts';

const TTL = 10 * 60 * 1000;

test('a SAML request id saved on one replica is read and used up on another', async () => {
  const t = Date.parse('2030-01-01T00:00:00Z');
  const now = () => new Date(t);
  const first = await tempInstance({ now });
  const second = await openInstance(first.inst.config, { env: {}, now });
  try {
    const a = new DatabaseSamlRequestCache(first.inst, TTL);
    const b = new DatabaseSamlRequestCache(second, TTL);
    const saved = await a.saveAsync('_id1', '2030-01-01T00:00:00Z');
    assert.deepEqual(saved, { value: '2030-01-01T00:00:00Z', createdAt: t });
    assert.equal(await a.saveAsync('_id1', 'again'), null, 'the first save of an id is kept');
    assert.equal(await b.getAsync('_id1'), '2030-01-01T00:00:00Z');
    assert.equal(await b.getAsync('_unknown'), null);
    assert.equal(await b.removeAsync('_id1'), '2030-01-01T00:00:00Z');
    assert.equal(await a.getAsync('_id1'), null, 'gone for every replica');
    // The second use (the same response posted to the other replica) is refused.
    await assert.rejects(a.removeAsync('_id1'), /InResponseTo is not valid/);
    assert.equal(await a.removeAsync(null), null);
  } finally {
    await second.close();
    await first.cleanup();
  }
});

test('an expired SAML request id is neither read nor used, and is swept', async () => {
  let t = Date.parse('2030-01-01T00:00:00Z');
  const now = () => new Date(t);
  const first = await tempInstance({ now });
  try {
    const cache = new DatabaseSamlRequestCache(first.inst, TTL);
    await cache.saveAsync('_old', 'x');
    t += TTL - 1;
    assert.equal(await cache.getAsync('_old'), 'x');
    t += 1;
    assert.equal(await cache.getAsync('_old'), null);
    await assert.rejects(cache.removeAsync('_old'), /InResponseTo is not valid/);
    // A later save (a new sign-in, past the sweep interval) deletes the expired row.
    t += TTL;
    await new DatabaseSamlRequestCache(first.inst, TTL).saveAsync('_new', 'y');
    const ids = await first.inst.store.db.selectFrom('saml_requests').select('id').execute();
    assert.deepEqual(
      ids.map((r) => r.id),
      ['_new'],
    );
  } finally {
    await first.cleanup();
  }
});
