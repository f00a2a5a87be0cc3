import {
  checkpointText,
  consistencyProof,
  treeHash,
  signNote,
  type Hash,
  type NoteSigner,
} from '../../../../tlog/index.ts';
import { MemoryTree } from '../../../tlog/memory-tree.ts';

/** A log of the test's own, in memory: its tree and the key that signs its checkpoints. */
export interface TestLog {
  tree: MemoryTree;
  signer: NoteSigner;
}

export async function testLog(
  signer: NoteSigner,
  count: number,
  leaf: (i: number) => Uint8Array,
): Promise<TestLog> {
  return { tree: await MemoryTree.of(Array.from({ length: count }, (_, i) => leaf(i))), signer };
}

/** The checkpoint of the log's first `size` leaves, signed by `by` (the log's key unless given). */
export async function checkpointOf(log: TestLog, size: number, by = log.signer): Promise<string> {
  const root = await treeHash(size, log.tree.read);
  return signNote(checkpointText({ origin: log.signer.name, size, root, extensions: [] }), [by]);
}

export function proofOf(log: TestLog, old: number, size: number): Promise<Hash[]> {
  return consistencyProof(old, size, log.tree.read);
}

/** An add-checkpoint request body: `old N`, the proof's lines, an empty line, the note. */
export function request(old: number | string, proof: readonly (Hash | string)[], note: string) {
  const lines = proof.map((p) => (typeof p === 'string' ? p : Buffer.from(p).toString('base64')));
  return `${typeof old === 'number' ? `old ${old}` : old}\n${lines.map((l) => `${l}\n`).join('')}\n${note}`;
}

export interface Reply {
  status: number;
  type: string;
  body: string;
}

export async function post(base: string, body: string | Buffer): Promise<Reply> {
  const r = await fetch(`${base}/witness/add-checkpoint`, { method: 'POST', body });
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}

export async function get(base: string, path: string): Promise<Reply> {
  const r = await fetch(`${base}${path}`);
  return { status: r.status, type: r.headers.get('content-type') ?? '', body: await r.text() };
}
