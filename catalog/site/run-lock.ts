import fs from 'node:fs';
import path from 'node:path';
import { VmicError } from '../../errors/index.ts';

/**
 * A lock file that keeps two import runs from overlapping (cron starting a run while the
 * previous one is still going). The file holds the owner's pid; a lock whose owner is no
 * longer alive (a crashed run) is taken over.
 */
export function acquireRunLock(dataDir: string, name: string): { release(): void } {
  const file = path.join(dataDir, `${name}.lock`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o600);
      fs.writeSync(fd, JSON.stringify({ pid: process.pid, started: new Date().toISOString() }));
      fs.closeSync(fd);
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          fs.rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readOwner(file);
      if (owner !== undefined && alive(owner.pid)) {
        throw new VmicError(
          'CONFLICT',
          `another ${name} run is in progress (pid ${owner.pid}, started ${owner.started}); exiting`,
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new VmicError('CONFLICT', `could not take the ${name} lock ${file}`);
}

function readOwner(file: string): { pid: number; started: string } | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: unknown; started?: unknown };
    return typeof v.pid === 'number' ? { pid: v.pid, started: String(v.started) } : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
