import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createToken, parseRole, verifyToken } from '../../catalog/index.ts';
import { tempInstance } from '../helpers/temp-instance.ts';

test('tokens verify until they expire, carry their role, and fail when tampered or revoked', async () => {
  let now = Date.parse('2026-11-01T00:00:00Z');
  const t = await tempInstance({ now: () => new Date(now) });
  try {
    const { token, id } = await createToken(t.inst, {
      role: 'endorser:cern',
      ttlSeconds: 3600,
      actor: 'test',
    });
    assert.deepEqual(await verifyToken(t.inst, token), {
      id: `token:${id}`,
      roles: ['endorser:cern'],
    });

    const [h, p, s] = token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, role: 'admin' })).toString('base64url')}.${s}`;
    await assert.rejects(verifyToken(t.inst, forged), { code: 'UNAUTHENTICATED' });
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`;
    await assert.rejects(verifyToken(t.inst, none), { code: 'UNAUTHENTICATED' });

    await t.inst.store.db
      .updateTable('api_tokens')
      .set({ revoked_at: new Date(now).toISOString() })
      .where('id', '=', id)
      .execute();
    await assert.rejects(verifyToken(t.inst, token), { code: 'UNAUTHENTICATED' });

    const short = await createToken(t.inst, { role: 'auditor', ttlSeconds: 60, actor: 'test' });
    now += 61_000;
    await assert.rejects(verifyToken(t.inst, short.token), {
      code: 'UNAUTHENTICATED',
      message: 'token expired',
    });
  } finally {
    await t.cleanup();
  }
});

test('roles are parsed strictly', () => {
  assert.equal(parseRole('endorser:cern'), 'endorser:cern');
  for (const bad of ['root', 'endorser:', 'endorser:../x', 'Admin'])
    assert.throws(() => parseRole(bad), { code: 'BAD_REQUEST' });
});
