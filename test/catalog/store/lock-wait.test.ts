/**
 * While another process holds SQLite's write lock (the CLI publishing, the import cron
 * job), the server waits for it on timers: it keeps answering, and its own write goes
 * through once the lock is free. A synchronous busy wait would answer nothing meanwhile.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { once } from 'node:events';
import { bearer, startHarness, type Harness } from '../../server/harness.ts';
import { DATABASE_FILE } from '../../../catalog/instance.ts';

/** A second process that takes the write lock and holds it until told to let go. */
async function holdWriteLock(file: string): Promise<ChildProcess> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.exec('begin immediate');
    db.prepare("update instance_meta set value = value where key = 'write-lock'").run();
    process.stdout.write('locked\\n');
    process.stdin.once('data', () => { db.exec('commit'); db.close(); process.exit(0); });
  `;
  const child = spawn(process.execPath, ['-e', script, file], {
    cwd: process.cwd(),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  assert.equal(line.toString().trim(), 'locked');
  return child;
}

describe('the server never waits synchronously on the SQLite write lock', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  test('health and reads answer while a write waits for another process; the write then lands', async () => {
    const admin = await h.token('admin');
    const holder = await holdWriteLock(path.join(h.dir, DATABASE_FILE));
    let settled = false;
    const write = fetch(`${h.url}/api/v1/site/policy/fetch-concurrency`, {
      method: 'PUT',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify({ value: '3' }),
    }).finally(() => {
      settled = true;
    });

    // Answers that arrive while the write is still waiting on the lock: with a busy wait
    // in the event loop there would be none, and this loop would never end.
    let answeredWhileWaiting = 0;
    while (answeredWhileWaiting < 5) {
      const health = await fetch(`${h.url}/healthz`);
      assert.equal(health.status, 200);
      const read = await fetch(`${h.url}/api/v1/site/policy`, { headers: bearer(admin) });
      assert.equal(read.status, 200);
      assert.equal(settled, false, 'the write must wait while the other process holds the lock');
      answeredWhileWaiting++;
    }

    holder.stdin!.write('go\n');
    await once(holder, 'exit');
    const res = await write;
    assert.equal(res.status, 200);
    const view = (await (
      await fetch(`${h.url}/api/v1/site/policy`, { headers: bearer(admin) })
    ).json()) as { policy: { fetchConcurrency: number } };
    assert.equal(view.policy.fetchConcurrency, 3);
    assert.deepEqual(h.logs, []);
  });
});
