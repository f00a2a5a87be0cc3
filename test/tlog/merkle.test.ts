import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  EMPTY_TREE_HASH,
  consistencyProof,
  inclusionProof,
  leafHash,
  nodeHash,
  splitPoint,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from '../../tlog/index.ts';
import { MemoryTree, leaf } from './memory-tree.ts';

/** MTH straight from RFC 6962 §2.1, over the leaves themselves: the reference. */
function mth(leaves: readonly Uint8Array[]): Hash {
  if (leaves.length === 0) return EMPTY_TREE_HASH;
  if (leaves.length === 1) return leafHash(leaves[0]!);
  const k = splitPoint(leaves.length);
  return nodeHash(mth(leaves.slice(0, k)), mth(leaves.slice(k)));
}

const flip = (h: Hash): Hash => {
  const c = Buffer.from(h);
  c[0]! ^= 1;
  return c;
};

test('tree hashes from stored subtrees equal RFC 6962 MTH for every size up to 70', async () => {
  const leaves = Array.from({ length: 70 }, (_, i) => leaf(i));
  const t = new MemoryTree();
  assert.deepEqual(await treeHash(0, t.read), EMPTY_TREE_HASH);
  for (let n = 1; n <= 70; n++) {
    await t.append(leaves[n - 1]!);
    assert.deepEqual(
      Buffer.from(await treeHash(n, t.read)),
      Buffer.from(mth(leaves.slice(0, n))),
      `size ${n}`,
    );
  }
});

test('every inclusion proof up to size 33 verifies; a changed byte, index, size or leaf does not', async () => {
  const t = await MemoryTree.of(Array.from({ length: 33 }, (_, i) => leaf(i)));
  const roots = [EMPTY_TREE_HASH];
  for (let n = 1; n <= 33; n++) roots.push(await treeHash(n, t.read));
  for (let n = 1; n <= 33; n++) {
    const root = roots[n]!;
    for (let i = 0; i < n; i++) {
      const proof = await inclusionProof(i, n, t.read);
      const lh = leafHash(leaf(i));
      assert.ok(verifyInclusion(i, n, lh, proof, root), `${i} in ${n}`);
      assert.equal(verifyInclusion(i, n, leafHash(leaf(i + 1)), proof, root), false);
      if (n > 1) {
        assert.equal(
          verifyInclusion((i + 1) % n, n, lh, proof, root),
          false,
          `index moved ${i} in ${n}`,
        );
        assert.equal(
          verifyInclusion(i, n, lh, [...proof.slice(0, -1), flip(proof.at(-1)!)], root),
          false,
        );
        assert.equal(
          verifyInclusion(i, n, lh, proof.slice(0, -1), root),
          false,
          'a shortened proof',
        );
      }
      // The proof of a smaller tree does not prove the leaf in the next one.
      if (n < 33) assert.equal(verifyInclusion(i, n + 1, lh, proof, roots[n + 1]!), false);
      assert.equal(verifyInclusion(i, n, lh, [...proof, root], root), false, 'a longer proof');
    }
  }
});

test('every consistency proof up to size 33 verifies; another root, size or a changed byte does not', async () => {
  const t = await MemoryTree.of(Array.from({ length: 33 }, (_, i) => leaf(i)));
  const roots = [EMPTY_TREE_HASH];
  for (let n = 1; n <= 33; n++) roots.push(await treeHash(n, t.read));
  for (let n = 1; n <= 33; n++)
    for (let m = 0; m <= n; m++) {
      const proof = await consistencyProof(m, n, t.read);
      assert.ok(verifyConsistency(m, n, roots[m]!, roots[n]!, proof), `${m} → ${n}`);
      if (m > 0 && m < n) {
        assert.equal(verifyConsistency(m, n, flip(roots[m]!), roots[n]!, proof), false);
        assert.equal(verifyConsistency(m, n, roots[m]!, flip(roots[n]!), proof), false);
        assert.equal(
          verifyConsistency(m, n, roots[m]!, roots[n]!, [
            ...proof.slice(0, -1),
            flip(proof.at(-1)!),
          ]),
          false,
        );
        assert.equal(verifyConsistency(m, n, roots[m]!, roots[n]!, []), false);
        if (n < 33)
          assert.equal(verifyConsistency(m, n + 1, roots[m]!, roots[n + 1]!, proof), false);
      }
    }
  // A tree that forks: same size, other leaves.
  const fork = await MemoryTree.of([
    ...Array.from({ length: 20 }, (_, i) => leaf(i)),
    Buffer.from('other'),
    ...Array.from({ length: 12 }, (_, i) => leaf(21 + i)),
  ]);
  const forkRoot = await treeHash(33, fork.read);
  const proof = await consistencyProof(21, 33, t.read);
  assert.equal(verifyConsistency(21, 33, roots[21]!, forkRoot, proof), false);
  assert.equal(
    verifyConsistency(5, 3, roots[5]!, roots[3]!, []),
    false,
    'a shorter tree after a longer one',
  );
});

test('proofs outside the tree are refused', async () => {
  const t = await MemoryTree.of([leaf(0), leaf(1)]);
  await assert.rejects(inclusionProof(2, 2, t.read), RangeError);
  await assert.rejects(inclusionProof(-1, 2, t.read), RangeError);
  await assert.rejects(consistencyProof(3, 2, t.read), RangeError);
  assert.equal(verifyInclusion(0, 0, leafHash(leaf(0)), [], EMPTY_TREE_HASH), false);
});
