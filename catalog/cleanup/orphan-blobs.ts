import fs from 'node:fs';
import path from 'node:path';
import type { Queryable, Store } from '../store/database.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import { SHA256_HEX } from '../blobs/digest.ts';

/**
 * How long a complete blob or cached image may sit without a database row before start-up
 * cleanup removes it (by the file's mtime, which is when its last byte was written). Such
 * a file is what a crash between the durable rename into place and the commit of its row
 * leaves; it is also, for a moment, every upload whose form is still arriving and every
 * fetch or migration about to record its bytes, in another live process. A day is far
 * longer than any of those moments.
 */
export const ORPHAN_GRACE_MS = 24 * 60 * 60_000;

const PREFIX = /^[0-9a-f]{2}$/;

interface Tree {
  /** Relative to the data directory: `blobs/sha256` or `cache/sha256`. */
  rel: string;
  /** Whether a row refers to this SHA-256, so that the bytes are, or will be, used. */
  referenced(db: Queryable, sha256s: string[]): Promise<Set<string>>;
}

/**
 * Endorser blobs (`blobs/sha256/`): a `blobs` row or an `images` row adopts the bytes.
 * Site cache (`cache/sha256/`): a `cache_entries` row (verified or quarantined), or a
 * `site_images` row that names the hash (the next fetch writes those bytes again).
 */
const TREES: Tree[] = [
  {
    rel: path.join('blobs', 'sha256'),
    referenced: (db, hashes) =>
      inBatches(hashes, async (batch) => [
        ...(await db.selectFrom('blobs').select('sha256').where('sha256', 'in', batch).execute()),
        ...(await db.selectFrom('images').select('sha256').where('sha256', 'in', batch).execute()),
      ]),
  },
  {
    rel: path.join('cache', 'sha256'),
    referenced: (db, hashes) =>
      inBatches(hashes, async (batch) => [
        ...(await db
          .selectFrom('cache_entries')
          .select('sha256')
          .where('sha256', 'in', batch)
          .execute()),
        ...(await db
          .selectFrom('site_images')
          .select('sha256')
          .where('sha256', 'in', batch)
          .execute()),
      ]),
  },
];

/**
 * Removes complete blobs and cached images that no row refers to and that are older than
 * `graceMs`; keeps those a row refers to, and young ones (a live process may be about to
 * commit their row). The decision is taken again under the write lock, so that a
 * registration committing at the same moment keeps its bytes (it checks, under the same
 * lock, that they are still there). Returns the paths removed, relative to `dataDir`.
 */
export async function sweepOrphanBlobs(
  dataDir: string,
  store: Store,
  now: Date,
  graceMs = ORPHAN_GRACE_MS,
): Promise<string[]> {
  const removed: string[] = [];
  for (const tree of TREES) {
    const root = path.join(dataDir, tree.rel);
    const files = contentFiles(root);
    if (files.size === 0) continue;
    const used = await tree.referenced(store.db, [...files.keys()]);
    const old = [...files].filter(([sha256, file]) => {
      if (used.has(sha256)) return false;
      const st = fs.lstatSync(file, { throwIfNoEntry: false });
      return st?.isFile() === true && now.getTime() - st.mtimeMs > graceMs;
    });
    if (old.length === 0) continue;
    await writeTransaction(store, async (tx) => {
      const stillUsed = await tree.referenced(
        tx,
        old.map(([sha256]) => sha256),
      );
      for (const [sha256, file] of old) {
        if (stillUsed.has(sha256)) continue;
        fs.rmSync(file, { force: true });
        removed.push(path.relative(dataDir, file));
      }
    });
  }
  return removed;
}

/** `<root>/ab/<abcdef…>` files by SHA-256; any other name is not ours and is left alone. */
function contentFiles(root: string): Map<string, string> {
  const out = new Map<string, string>();
  let prefixes: string[];
  try {
    prefixes = fs.readdirSync(root);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return out;
    throw e;
  }
  for (const prefix of prefixes) {
    if (!PREFIX.test(prefix)) continue;
    let names: string[];
    try {
      names = fs.readdirSync(path.join(root, prefix));
    } catch {
      continue; // not a directory
    }
    for (const name of names)
      if (SHA256_HEX.test(name) && name.startsWith(prefix))
        out.set(name, path.join(root, prefix, name));
  }
  return out;
}

/** SQLite caps bound parameters; look the hashes up a few hundred at a time. */
async function inBatches(
  hashes: string[],
  query: (batch: string[]) => Promise<{ sha256: string | null }[]>,
): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < hashes.length; i += 500)
    for (const r of await query(hashes.slice(i, i + 500))) if (r.sha256) out.add(r.sha256);
  return out;
}
