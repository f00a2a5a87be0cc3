import { createHash } from 'node:crypto';

/**
 * RFC 6962 (and RFC 9162 §2.1) Merkle tree hashing over SHA-256, as Certificate
 * Transparency, Go's checksum database (golang.org/x/mod/sumdb/tlog) and C2SP tlog-tiles
 * use it. The domain separation bytes (0x00 for a leaf, 0x01 for an interior node) keep a
 * leaf from being passed off as a node (threat: a second preimage of the tree).
 *
 * A tree's hashes are kept as its complete subtrees: the hash at (level L, index i) covers
 * leaves [i·2^L, (i+1)·2^L). Every proof and every tree hash is computed from O(log n) of
 * them through a `HashReader`, whatever backs it (a database table, a map in a test).
 */
export type Hash = Uint8Array;

export const HASH_BYTES = 32;

export function leafHash(data: Uint8Array): Hash {
  return createHash('sha256').update(Uint8Array.of(0)).update(data).digest();
}

export function nodeHash(left: Hash, right: Hash): Hash {
  return createHash('sha256').update(Uint8Array.of(1)).update(left).update(right).digest();
}

/** The hash of the empty tree: SHA-256 of nothing. */
export const EMPTY_TREE_HASH: Hash = createHash('sha256').digest();

/** The hash of the complete subtree at (level, index); rejects if it is not stored. */
export type HashReader = (level: number, index: number) => Promise<Hash>;

/** A complete subtree's hash that appending a leaf completed. */
export interface StoredHash {
  level: number;
  index: number;
  hash: Hash;
}

// Sizes and indexes are safe integers, not 32-bit: no bitwise operators on them.
const odd = (x: number) => x % 2 === 1;
const half = (x: number) => Math.floor(x / 2);

/** The largest power of two smaller than n (n > 1): RFC 6962's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * The complete subtrees completed by appending the leaf with hash `leaf` at `index`: the
 * leaf itself at level 0, then a parent for every level at which it closes a pair.
 * `left(level, index)` gives the left siblings, which are stored already.
 */
export async function appendHashes(
  index: number,
  leaf: Hash,
  left: HashReader,
): Promise<StoredHash[]> {
  const out: StoredHash[] = [{ level: 0, index, hash: leaf }];
  let level = 0;
  let i = index;
  let hash = leaf;
  while (odd(i)) {
    hash = nodeHash(await left(level, i - 1), hash);
    level++;
    i = half(i);
    out.push({ level, index: i, hash });
  }
  return out;
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

function levelOf(size: number): number {
  return Math.round(Math.log2(size));
}

/** MTH(D[lo:hi]) (RFC 6962 §2.1) from stored complete subtrees; hi > lo. */
export async function rangeHash(lo: number, hi: number, read: HashReader): Promise<Hash> {
  const n = hi - lo;
  if (isPowerOfTwo(n) && lo % n === 0) return read(levelOf(n), lo / n);
  const k = splitPoint(n);
  return nodeHash(await rangeHash(lo, lo + k, read), await rangeHash(lo + k, hi, read));
}

/** The root hash of the tree of the first `size` leaves. */
export function treeHash(size: number, read: HashReader): Promise<Hash> {
  return size === 0 ? Promise.resolve(EMPTY_TREE_HASH) : rangeHash(0, size, read);
}

/** RFC 6962 §2.1.1 PATH(m, D[n]): the audit path of leaf `index` in the tree of `size`, leaf to root. */
export async function inclusionProof(
  index: number,
  size: number,
  read: HashReader,
): Promise<Hash[]> {
  checkIndex(index, size);
  const path = async (m: number, lo: number, hi: number): Promise<Hash[]> => {
    const n = hi - lo;
    if (n === 1) return [];
    const k = splitPoint(n);
    if (m < k) return [...(await path(m, lo, lo + k)), await rangeHash(lo + k, hi, read)];
    return [...(await path(m - k, lo + k, hi)), await rangeHash(lo, lo + k, read)];
  };
  return path(index, 0, size);
}

/**
 * RFC 6962 §2.1.2 PROOF(m, D[n]): that the tree of the first `m` leaves is a prefix of the
 * tree of `n`. Empty when m is 0 or m equals n.
 */
export async function consistencyProof(m: number, n: number, read: HashReader): Promise<Hash[]> {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m > n)
    throw new RangeError(`no consistency proof from size ${m} to ${n}`);
  if (m === 0 || m === n) return [];
  const sub = async (m: number, lo: number, hi: number, whole: boolean): Promise<Hash[]> => {
    const n = hi - lo;
    if (m === n) return whole ? [] : [await rangeHash(lo, hi, read)];
    const k = splitPoint(n);
    if (m <= k) return [...(await sub(m, lo, lo + k, whole)), await rangeHash(lo + k, hi, read)];
    return [...(await sub(m - k, lo + k, hi, false)), await rangeHash(lo, lo + k, read)];
  };
  return sub(m, 0, n, true);
}

function checkIndex(index: number, size: number): void {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size)
    throw new RangeError(`no leaf ${index} in a tree of size ${size}`);
}

function equal(a: Hash, b: Hash): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** RFC 9162 §2.1.3.2: whether `proof` shows leaf hash `leaf` at `index` in the tree of `size` with `root`. */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Hash,
  proof: readonly Hash[],
  root: Hash,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size)
    return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (p.length !== HASH_BYTES || sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn))
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
    } else r = nodeHash(r, p);
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(r, root);
}

/**
 * RFC 9162 §2.1.4.2: whether `proof` shows the tree of size `m` with `rootM` to be a prefix
 * of the tree of size `n` with `rootN`. Equal sizes need equal roots and an empty proof.
 */
export function verifyConsistency(
  m: number,
  n: number,
  rootM: Hash,
  rootN: Hash,
  proof: readonly Hash[],
): boolean {
  if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || m < 0 || m > n) return false;
  if (proof.some((p) => p.length !== HASH_BYTES)) return false;
  if (m === n) return proof.length === 0 && equal(rootM, rootN);
  if (m === 0) return proof.length === 0 && equal(rootM, EMPTY_TREE_HASH);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(m) ? [rootM, ...proof] : [...proof];
  let fn = m - 1;
  let sn = n - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn))
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
    } else sr = nodeHash(sr, c);
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equal(fr, rootM) && equal(sr, rootN);
}
