import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createToken } from '../../../catalog/index.ts';
import { startServer } from '../../../server/index.ts';
import { cosignFixture, opensslDetached } from './cosign-fixture.ts';

test('the publish API answers 202 with `pending` and no Location under a threshold', async () => {
  const f = await cosignFixture(2);
  const server = await startServer(f.inst, { host: '127.0.0.1', port: 0 }, { log: () => {} });
  try {
    const { token } = await createToken(f.inst, { role: 'admin', ttlSeconds: 600, actor: 't' });
    const r = await fetch(`${server.url}/api/v1/endorsers/cern/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(r.status, 202, await r.clone().text());
    assert.equal(r.headers.get('location'), null);
    const body = (await r.json()) as { sequence: number; pending?: unknown };
    assert.equal(body.sequence, 1);
    assert.deepEqual(body.pending, { threshold: 2, signers: ['cern'], needed: 1 });
    const feed = await fetch(`${server.url}/feeds/cern/catalog.p7m`);
    assert.equal(feed.status, 404);
  } finally {
    await server.close();
    await f.cleanup();
  }
});

test('over the API a co-signer reads the pending catalog, signs its N-Quads elsewhere and uploads the signature', async () => {
  const f = await cosignFixture(2);
  const server = await startServer(f.inst, { host: '127.0.0.1', port: 0 }, { log: () => {} });
  try {
    const { token } = await createToken(f.inst, {
      role: 'endorser:cern',
      ttlSeconds: 600,
      actor: 't',
    });
    const api = (p: string, init: RequestInit = {}, bearer = token) =>
      fetch(`${server.url}/api/v1/endorsers/cern${p}`, {
        ...init,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      });
    const none = await api('/pending');
    assert.equal(none.status, 404, 'no pending catalog before a publish');
    assert.equal((await api('/publish', { method: 'POST', body: '{}' })).status, 202);

    const pending = (await (await api('/pending')).json()) as {
      sequence: number;
      needed: number;
      notYet: string[];
      contentSha256: string;
    };
    assert.equal(pending.needed, 1);
    assert.deepEqual(pending.notYet.sort(), ['dept', 'partner']);
    const nq = await api('/pending/catalog.nq');
    assert.match(nq.headers.get('content-type') ?? '', /^application\/n-quads/);
    const bytes = Buffer.from(await nq.arrayBuffer());
    assert.equal(createHash('sha256').update(bytes).digest('hex'), pending.contentSha256);
    const file = path.join(f.dir, 'api-pending.nq');
    fs.writeFileSync(file, bytes);

    const upload = (signer: string, sig: Buffer, bearer = token) =>
      api(
        '/pending/signatures',
        { method: 'POST', body: JSON.stringify({ signer, signature: sig.toString('base64') }) },
        bearer,
      );
    // Refused: another's signature under a co-signer's name, a token of another endorser,
    // and a server-held co-signer asked to sign with no signature given.
    const byStranger = await upload('partner', opensslDetached(f, file, 'stranger'));
    assert.equal(byStranger.status, 422, await byStranger.clone().text());
    assert.equal(((await byStranger.json()) as { code: string }).code, 'SUBJECT_MISMATCH');
    const other = await createToken(f.inst, {
      role: 'endorser:other',
      ttlSeconds: 600,
      actor: 't',
    });
    const good = opensslDetached(f, file, 'partner');
    assert.equal((await upload('partner', good, other.token)).status, 403);
    const unsigned = await api('/pending/signatures', {
      method: 'POST',
      body: JSON.stringify({ signer: 'dept' }),
    });
    assert.equal(unsigned.status, 400, 'a token never makes a held key sign');

    const done = await upload('partner', good);
    assert.equal(done.status, 201, await done.clone().text());
    assert.match(done.headers.get('location') ?? '', /\/feeds\/cern\/1\/catalog\.p7m$/);
    const outcome = (await done.json()) as { signers: string[]; published?: { sequence: number } };
    assert.deepEqual(outcome.signers.sort(), ['cern', 'partner']);
    assert.equal(outcome.published?.sequence, pending.sequence);
    assert.equal((await fetch(`${server.url}/feeds/cern/catalog.p7m`)).status, 200);
    assert.equal((await api('/pending')).status, 404, 'published: nothing pending');
  } finally {
    await server.close();
    await f.cleanup();
  }
});
