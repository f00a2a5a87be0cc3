import assert from 'node:assert/strict';
import { test } from 'node:test';
import { humanBytes, humanDuration, relativeTime } from '../../../server/web/pages/format.ts';

test('sizes read in binary units', () => {
  assert.equal(humanBytes(0), '0 bytes');
  assert.equal(humanBytes(1), '1 byte');
  assert.equal(humanBytes(1023), '1023 bytes');
  assert.equal(humanBytes(1536), '1.5 KiB');
  assert.equal(humanBytes(3145728), '3 MiB');
  assert.equal(humanBytes(68719476736), '64 GiB');
  assert.equal(humanBytes(200 * 1024 ** 3), '200 GiB');
});

test('times read relative to now, in their largest whole unit', () => {
  const now = new Date('2026-01-02T00:00:00Z');
  assert.equal(relativeTime('2026-01-01T22:00:00Z', now), '2 h ago');
  assert.equal(relativeTime(new Date('2026-01-05T00:00:00Z'), now), 'in 3 d');
  assert.equal(relativeTime('2026-01-02T00:00:00Z', now), 'now');
  assert.equal(relativeTime('not a time', now), 'not a time');
  assert.equal(humanDuration(59), '59 s');
  assert.equal(humanDuration(-3600 * 30), '1 d');
});
