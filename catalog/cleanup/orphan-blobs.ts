import path from 'node:path';
import type { Queryable, Store } from '../store/database.ts';
import { writeTransaction } from '../store/write-transaction.ts';
import type { ObjectStore, StoredObject } from '../blobs/object-store.ts';

/**
 * How long a complete blob or cached image may sit without a database row before start-up
 * cleanup removes it (by the file's mtime, which is when its last byte was written). Such
 * a file is what a crash between the durable rename into place and the commit of its row
 * leaves; it is also, for a moment, every upload whose form is still arriving and every
 * fetch or migration about to record its bytes, in another live process. A day is far
 * longer than any of those moments.
 */
export const ORPHAN_GRACE_MS = 24 * 60 * 60_000;

interface Tree {
  /** How removed objects are named in the report: `blobs/sha256` or `cache/sha256`. */
  rel: string;
  store: (stores: Stores) => ObjectStore;
  /** Whether a row refers to this SHA-256, so that the bytes are, or will be, used. */
  referenced(db: Queryable, sha256s: string[]): Promise<Set<string>>;
}

export interface Stores {
  blobs: ObjectStore;
  siteCache: ObjectStore;
}

/**
 * Endorser blobs (`blobs/sha256/`): a `blobs` row or an `images` row (its bytes or its
 * attached SBOM) adopts the bytes.
 * Site cache (`cache/sha256/`): a `cache_entries` row (verified or quarantined), or a
 * `site_images` row that names the hash (the next fetch writes those bytes again).
 */
const TREES: Tree[] = [
  {
    rel: path.join('blobs', 'sha256'),
    store: (s) => s.blobs,
    referenced: (db, hashes) =>
      inBatches(hashes, async (batch) => [
        ...(await db.selectFrom('blobs').select('sha256').where('sha256', 'in', batch).execute()),
        ...(await db.selectFrom('images').select('sha256').where('sha256', 'in', batch).execute()),
        // An attached software inventory (catalog/sbom/attach-sbom.ts). It has a `blobs`
        // row too; this keeps it even if that row were ever pruned while still attached.
        ...(await db
          .selectFrom('images')
          .select('sbom_sha256 as sha256')
          .where('sbom_sha256', 'in', batch)
          .execute()),
      ]),
  },
  {
    rel: path.join('cache', 'sha256'),
    store: (s) => s.siteCache,
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
 * lock, that they are still there). Works the same on a bucket, by Last-Modified. Returns
 * the names removed, as paths relative to the data directory (`blobs/sha256/ab/<hex>`).
 */
export async function sweepOrphanBlobs(
  stores: Stores,
  store: Store,
  now: Date,
  graceMs = ORPHAN_GRACE_MS,
): Promise<string[]> {
  const removed: string[] = [];
  for (const tree of TREES) {
    const objects = tree.store(stores);
    // A page of the listing at a time: a large bucket is never listed whole into memory.
    let page: StoredObject[] = [];
    const flush = async () => {
      removed.push(...(await sweepPage(tree, objects, store, page, now, graceMs)));
      page = [];
    };
    for await (const o of objects.list()) {
      page.push(o);
      if (page.length >= 1000) await flush();
    }
    await flush();
  }
  return removed;
}

async function sweepPage(
  tree: Tree,
  objects: ObjectStore,
  store: Store,
  page: StoredObject[],
  now: Date,
  graceMs: number,
): Promise<string[]> {
  if (page.length === 0) return [];
  const used = await tree.referenced(
    store.db,
    page.map((o) => o.sha256),
  );
  const old = page.filter(
    (o) => !used.has(o.sha256) && now.getTime() - o.modified.getTime() > graceMs,
  );
  if (old.length === 0) return [];
  const removed: string[] = [];
  await writeTransaction(store, async (tx) => {
    const stillUsed = await tree.referenced(
      tx,
      old.map((o) => o.sha256),
    );
    for (const { sha256 } of old) {
      if (stillUsed.has(sha256)) continue;
      await objects.remove(sha256);
      removed.push(path.join(tree.rel, sha256.slice(0, 2), sha256));
    }
  });
  return removed;
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
