import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FreshReads } from '../../catalog/fresh-reads.ts';

/** A database whose reads the test ends one at a time; each sees `state.version` as of its start. */
function database() {
  const state = { version: 0, fail: false, started: [] as number[], ends: [] as Array<() => void> };
  const read = () => {
    const seen = state.version;
    const fails = state.fail;
    state.started.push(seen);
    return new Promise<number>((resolve, reject) =>
      state.ends.push(() => (fails ? reject(new Error('read failed')) : resolve(seen))),
    );
  };
  const endNext = async () => {
    state.ends.shift()!();
    // Let the settled read hand over to the next one.
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { state, read, endNext };
}

test('a caller is never answered by a read that began before it asked', async () => {
  const reads = new FreshReads<number>();
  const db = database();
  const a = reads.read('cern/latest', db.read);
  db.state.version = 1; // a publish, after a's read began
  const b = reads.read('cern/latest', db.read);
  const c = reads.read('cern/latest', db.read);
  assert.deepEqual(db.state.started, [0], 'b and c wait rather than join the read under way');
  await db.endNext();
  assert.equal(await a, 0);
  assert.deepEqual(db.state.started, [0, 1], 'one read for b and c, begun after they asked');
  await db.endNext();
  assert.equal(await b, 1);
  assert.equal(await c, 1);
  assert.equal(reads.size, 0);
});

test('keys are read independently, and a failed read fails only its own callers', async () => {
  const reads = new FreshReads<number>();
  const db = database();
  db.state.fail = true;
  const failing = reads.read('cern/latest', db.read);
  db.state.fail = false;
  db.state.version = 3;
  const other = reads.read('cern/3', db.read);
  const next = reads.read('cern/latest', db.read);
  assert.equal(db.state.started.length, 2, 'one read per key');
  await db.endNext();
  await assert.rejects(failing, /read failed/);
  await db.endNext();
  assert.equal(await other, 3);
  await db.endNext();
  assert.equal(await next, 3, 'the waiting caller gets a read of its own');
  assert.equal(reads.size, 0);
});
