import { test } from 'node:test';
import assert from 'node:assert/strict';
import { consistencyProof, treeHash } from '../../../tlog/index.ts';
import { VmicError } from '../../../errors/index.ts';
import { checkOneHistory } from '../../../catalog/log/one-history.ts';
import type { LogView } from '../../../catalog/log/log-views.ts';
import { MemoryTree, leaf } from '../../tlog/memory-tree.ts';

const b64 = (h: Uint8Array): string => Buffer.from(h).toString('base64');

async function viewOf(t: MemoryTree, size: number): Promise<LogView> {
  return { size, root: await treeHash(size, t.read), note: `checkpoint ${size}\n` };
}

function proofsOf(t: MemoryTree) {
  return async (from: number, to: number) => (await consistencyProof(from, to, t.read)).map(b64);
}

test('a grown log and an older served checkpoint are each one history with the view held', async () => {
  const t = await MemoryTree.of(Array.from({ length: 9 }, (_, i) => leaf(i)));
  const held = await viewOf(t, 5);
  const larger = await viewOf(t, 9);
  assert.deepEqual(await checkOneHistory(held, larger, proofsOf(t)), { kind: 'one-history' });
  // Either way round: a smaller served checkpoint must be a prefix of the held one.
  assert.deepEqual(await checkOneHistory(larger, held, proofsOf(t)), { kind: 'one-history' });
  assert.deepEqual(await checkOneHistory(held, held, proofsOf(t)), { kind: 'one-history' });
});

test('two logs that differ in one entry are not one history, at the same size or grown', async () => {
  const a = await MemoryTree.of(Array.from({ length: 8 }, (_, i) => leaf(i)));
  const b = await MemoryTree.of(Array.from({ length: 8 }, (_, i) => leaf(i === 3 ? 99 : i)));
  const same = await checkOneHistory(await viewOf(a, 8), await viewOf(b, 8), proofsOf(b));
  assert.deepEqual(same, { kind: 'mismatch', lo: 8, hi: 8 });
  const grown = await checkOneHistory(await viewOf(a, 4), await viewOf(b, 8), proofsOf(b));
  assert.deepEqual(grown, { kind: 'mismatch', lo: 4, hi: 8 });
});

test('a log that answers without a proof is no-proof; one that does not answer is unreachable', async () => {
  const t = await MemoryTree.of(Array.from({ length: 6 }, (_, i) => leaf(i)));
  const held = await viewOf(t, 3);
  const served = await viewOf(t, 6);
  const refused = await checkOneHistory(held, served, () =>
    Promise.reject(new VmicError('NOT_FOUND', 'no such range')),
  );
  assert.equal(refused.kind, 'no-proof');
  assert.match(refused.kind === 'no-proof' ? refused.detail : '', /no such range/);
  const down = await checkOneHistory(held, served, () =>
    Promise.reject(new VmicError('FETCH_FAILED', 'connection refused')),
  );
  assert.equal(down.kind, 'unreachable');
});
