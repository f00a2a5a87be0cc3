import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { currentOwner, ownerAlive, type OwnerToken } from './process-owner.ts';

/**
 * Temporary files named after the process that writes them: `<owner>_<uuid>.part`. The
 * name is the sidecar: start-up cleanup reads the owner from it and removes the file only
 * when that process is gone, never a file a live process (another `serve`, a cron run) is
 * still writing.
 */
const OWNED = /^(\d{1,10}\.\d{1,20}\.[0-9a-f]{8})_[0-9a-f-]{36}\.[a-z-]{1,24}$/;

/** Files without an owner in their name (written by an older vmic) count as dead after this idle time. */
export const LEGACY_IDLE_MS = 60 * 60_000;

/** A new temporary file name owned by this process. */
export function ownedTempName(ext = 'part'): string {
  return `${currentOwner()}_${crypto.randomUUID()}.${ext}`;
}

export function ownerOfTempName(name: string): OwnerToken | undefined {
  return OWNED.exec(name)?.[1];
}

/**
 * Where unauthenticated migration plaintext is written (mode 0600, directory 0700): a
 * directory this cleanup owns, never a shared or user-chosen one (threat: decrypted but
 * not yet authenticated bytes left readable after a crash).
 */
export function migrationTempDir(dataDir: string): string {
  const dir = path.join(dataDir, 'tmp', 'migrations');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * Removes the files in `dir` whose owner is gone; files with no owner in their name are
 * removed once untouched for `legacyIdleMs`. Returns the names removed. A missing
 * directory is nothing to clean.
 */
export function sweepOwnedTemporaries(
  dir: string,
  opts: { now: Date; legacyIdleMs?: number; alive?: (owner: OwnerToken) => boolean },
): string[] {
  const alive = opts.alive ?? ownerAlive;
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return removed;
    throw e;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    const owner = ownerOfTempName(name);
    let dead: boolean;
    if (owner !== undefined) dead = !alive(owner);
    else {
      const st = fs.lstatSync(file, { throwIfNoEntry: false });
      if (!st?.isFile()) continue;
      dead = opts.now.getTime() - st.mtimeMs > (opts.legacyIdleMs ?? LEGACY_IDLE_MS);
    }
    if (dead) {
      fs.rmSync(file, { force: true });
      removed.push(name);
    }
  }
  return removed;
}
