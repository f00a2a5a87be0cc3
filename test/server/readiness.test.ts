/** /readyz checks the database and the blob store for real; /healthz stays a liveness answer. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parsed, startObserved } from './metrics-helpers.ts';

test('/readyz: 200 while database and blob store work, 503 naming the blob store when it is unusable', async () => {
  const s = await startObserved();
  const blobs = path.join(s.dir, 'blobs');
  try {
    let res = await fetch(`${s.url}/readyz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      status: 'ready',
      checks: { database: 'ok', blobs: 'ok' },
    });
    assert.deepEqual(fs.readdirSync(path.join(blobs, 'tmp')), [], 'the write probe is removed');

    // The blob directory replaced by a file: neither listable nor writable (whoever runs
    // the test, root included).
    fs.renameSync(blobs, `${blobs}.moved`);
    fs.writeFileSync(blobs, 'not a directory');
    res = await fetch(`${s.url}/readyz`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as Record<string, unknown>;
    assert.deepEqual(body, { status: 'not-ready', checks: { database: 'ok', blobs: 'failed' } });
    assert.doesNotMatch(
      JSON.stringify(body),
      /ENOTDIR|blobs\//,
      'the reason is logged, not answered',
    );
    const logged = parsed(s.errors).find((l) => l.check === 'blobs');
    assert.match(JSON.stringify(logged?.err), /ENOTDIR/);
    assert.equal(logged?.requestId, res.headers.get('x-request-id'));

    // Liveness is not readiness: the process is alive.
    assert.equal((await fetch(`${s.url}/healthz`)).status, 200);

    fs.rmSync(blobs);
    fs.renameSync(`${blobs}.moved`, blobs);
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
