/**
 * While another process holds the write lock (the CLI publishing, the import cron job,
 * another replica), the server waits for it without blocking: it keeps answering, and its
 * own write goes through once the lock is free. A synchronous busy wait (SQLite's own
 * busy handler) would answer nothing meanwhile. On PostgreSQL the other process holds the
 * same row lock in an open transaction.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { once } from 'node:events';
import { bearer, startHarness, type Harness } from '../../server/harness.ts';
import { DATABASE_FILE } from '../../../catalog/instance.ts';

const SQLITE_HOLDER = `
  const Database = require('better-sqlite3');
  const db = new Database(process.argv[1]);
  db.exec('begin immediate');
  db.prepare("update instance_meta set value = value where key = 'write-lock'").run();
  process.stdout.write('locked\\n');
  process.stdin.once('data', () => { db.exec('commit'); db.close(); process.exit(0); });
`;

const POSTGRES_HOLDER = `
  const { Client } = require('pg');
  (async () => {
    const db = new Client({ connectionString: process.argv[1] });
    await db.connect();
    await db.query('begin');
    await db.query("update instance_meta set value = value where key = 'write-lock'");
    process.stdout.write('locked\\n');
    process.stdin.once('data', async () => { await db.query('commit'); await db.end(); process.exit(0); });
  })().catch((e) => { process.stdout.write('failed: ' + e.message + '\\n'); process.exit(1); });
`;

/** A second process that takes the write lock and holds it until told to let go. */
async function holdWriteLock(h: Harness): Promise<ChildProcess> {
  const url = h.inst.config.databaseUrl;
  const [script, target] =
    url === undefined ? [SQLITE_HOLDER, path.join(h.dir, DATABASE_FILE)] : [POSTGRES_HOLDER, url];
  const child = spawn(process.execPath, ['-e', script, target], {
    cwd: process.cwd(),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  assert.equal(line.toString().trim(), 'locked');
  return child;
}

describe('the server never waits synchronously on the write lock', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  test('health and reads answer while a write waits for another process; the write then lands', async () => {
    const admin = await h.token('admin');
    const holder = await holdWriteLock(h);
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
