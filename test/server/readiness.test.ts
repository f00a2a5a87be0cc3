/** /readyz checks the database and the blob store for real; /healthz stays a liveness answer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsed, startObserved } from './metrics-helpers.ts';
import { onObjectStore } from '../helpers/backends.ts';
import { whileUnusable } from '../catalog/blobs/stored-objects.ts';

test('/readyz: 200 while database and blob store work, 503 naming the blob store when it is unusable', async () => {
  const s = await startObserved();
  try {
    let res = await fetch(`${s.url}/readyz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      status: 'ready',
      checks: { database: 'ok', blobs: 'ok' },
    });
    assert.deepEqual(await s.inst.blobs.temporaryFiles(), [], 'the write probe is removed');

    // The blob directory replaced by a file, or the bucket gone.
    await whileUnusable(s.inst.blobs, async () => {
      res = await fetch(`${s.url}/readyz`);
      assert.equal(res.status, 503);
      const body = (await res.json()) as Record<string, unknown>;
      assert.deepEqual(body, { status: 'not-ready', checks: { database: 'ok', blobs: 'failed' } });
      assert.doesNotMatch(
        JSON.stringify(body),
        /ENOTDIR|NoSuchBucket|NotFound|blobs\//,
        'the reason is logged, not answered',
      );
      const logged = parsed(s.errors).find((l) => l.check === 'blobs');
      assert.match(JSON.stringify(logged?.err), onObjectStore() ? /NotFound|404/ : /ENOTDIR/);
      assert.equal(logged?.requestId, res.headers.get('x-request-id'));

      // Liveness is not readiness: the process is alive.
      assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    });
    assert.equal((await fetch(`${s.url}/readyz`)).status, 200);
  } finally {
    await s.close();
  }
});

test('/readyz: 503 naming the database when it cannot answer', async () => {
  const s = await startObserved();
  try {
    await s.inst.store.close();
    const res = await fetch(`${s.url}/readyz`);
    assert.equal(res.status, 503);
    assert.deepEqual(await res.json(), {
      status: 'not-ready',
      checks: { database: 'failed', blobs: 'ok' },
    });
  } finally {
    await s.close().catch(() => {});
  }
});
