import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openInstance } from '../../catalog/index.ts';
import { RateLimiter } from '../../server/api/transfer-rate-limit.ts';
import { tempInstance } from '../helpers/temp-instance.ts';

test('two replicas on one database share one bucket per address', async () => {
  let t = Date.parse('2030-01-01T00:00:00Z');
  const clock = () => t;
  const first = await tempInstance();
  const second = await openInstance(first.inst.config, { env: {} });
  try {
    const limit = { burst: 4, perMinute: 6 };
    const a = new RateLimiter(first.inst.store.db, limit, clock);
    const b = new RateLimiter(second.store.db, limit, clock);
    const waits = [];
    for (let i = 0; i < 3; i++) waits.push(await a.take('192.0.2.1'), await b.take('192.0.2.1'));
    // Four between them, not four each; then one every 10 s.
    assert.deepEqual(waits, [0, 0, 0, 0, 10, 10]);
    assert.equal(await a.take('192.0.2.2'), 0, 'each address has its own bucket');
    t += 9_000;
    assert.equal(await b.take('192.0.2.1'), 1);
    t += 1_000;
    assert.equal(await b.take('192.0.2.1'), 0);
    assert.equal(await a.take('192.0.2.1'), 10);
    // A clock behind the row's (another replica a little ahead) refills nothing.
    t -= 5_000;
    assert.equal(await a.take('192.0.2.1'), 10);
    // Quiet for long enough: full again.
    t += 3600_000;
    for (let i = 0; i < 4; i++) assert.equal(await b.take('192.0.2.1'), 0);
    assert.equal(await a.take('192.0.2.1'), 10);
  } finally {
    await second.close();
    await first.cleanup();
  }
});

test('concurrent takes on two replicas never grant more than the burst', async () => {
  const clock = () => Date.parse('2030-01-01T00:00:00Z');
  const first = await tempInstance();
  const second = await openInstance(first.inst.config, { env: {} });
  try {
    const limit = { burst: 4, perMinute: 6 };
    const a = new RateLimiter(first.inst.store.db, limit, clock);
    const b = new RateLimiter(second.store.db, limit, clock);
    const waits = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).take('198.51.100.7')),
    );
    assert.equal(waits.filter((w) => w === 0).length, 4);
  } finally {
    await second.close();
    await first.cleanup();
  }
});
