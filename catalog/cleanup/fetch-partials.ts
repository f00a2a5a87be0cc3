import fs from 'node:fs';
import path from 'node:path';
import { isVmicError } from '../../errors/index.ts';
import type { Store } from '../store/database.ts';
import { acquireRunLock, type RunLock } from '../site/run-lock.ts';

const BY_SHA256 = /^([0-9a-f]{64})\.part$/;
const BY_SHA512 = /^sha512-([0-9a-f]{128})\.part$/;

/**
 * Image-fetch partial files (`cache/partial/`) that no fetch can resume: a name vmic never
 * writes, a hash that no endorsed image of any subscription names any more, a hash whose
 * verified bytes are already in the cache, or more bytes than the signed size (a resume
 * would start again from 0). Resumable partials are kept: that is what they are for.
 *
 * Runs only under the fetch lock (the lock `vmic fetch` takes), so never beside a fetch
 * that is writing. Returns the names removed; nothing when a fetch is running.
 */
export async function sweepFetchPartials(dataDir: string, store: Store): Promise<string[]> {
  const dir = path.join(dataDir, 'cache', 'partial');
  if (!fs.existsSync(dir)) return [];
  // Look first without the lock: the lock is taken (for milliseconds) only when there is
  // something to remove, so that opening the instance seldom meets a starting `vmic fetch`.
  if ((await unresumable(dir, store)).length === 0) return [];
  let lock: RunLock;
  try {
    lock = await acquireRunLock(store.db, 'fetch');
  } catch (e) {
    if (isVmicError(e) && e.code === 'CONFLICT') return [];
    throw e;
  }
  try {
    const removed = await unresumable(dir, store);
    for (const name of removed) fs.rmSync(path.join(dir, name), { force: true });
    return removed;
  } finally {
    await lock.release();
  }
}

async function unresumable(dir: string, store: Store): Promise<string[]> {
  const rows = await store.db
    .selectFrom('site_images')
    .select(['sha256', 'sha512', 'byte_size'])
    .where('status', '=', 'endorsed')
    .execute();
  const verified = new Set(
    (
      await store.db
        .selectFrom('cache_entries')
        .select('sha256')
        .where('state', '=', 'verified')
        .execute()
    ).map((r) => r.sha256),
  );
  const sizeOf = new Map<string, number>();
  const want = (key: string, size: number) => sizeOf.set(key, Math.max(size, sizeOf.get(key) ?? 0));
  for (const r of rows) {
    if (r.sha256 && !verified.has(r.sha256)) want(r.sha256, r.byte_size);
    if (r.sha512 && !(r.sha256 && verified.has(r.sha256))) want(`sha512-${r.sha512}`, r.byte_size);
  }
  const out: string[] = [];
  for (const name of fs.readdirSync(dir)) {
    const m = BY_SHA256.exec(name) ?? BY_SHA512.exec(name);
    const key = m ? (name.startsWith('sha512-') ? `sha512-${m[1]}` : m[1]!) : undefined;
    const signedSize = key === undefined ? undefined : sizeOf.get(key);
    const st = fs.lstatSync(path.join(dir, name), { throwIfNoEntry: false });
    if (!st?.isFile()) continue;
    if (signedSize !== undefined && st.size <= signedSize) continue; // resumable
    out.push(name);
  }
  return out;
}
