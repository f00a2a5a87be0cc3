import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslResult {
  status: number;
  stdout: Buffer;
  stderr: string;
}

/** Stock OpenSSL as the outside verifier of what pki/ produces (STYLE §9). */
export function openssl(args: string[], cwd: string): OpensslResult {
  const r = spawnSync('/usr/bin/openssl', args, { cwd, maxBuffer: 16 * 1024 * 1024 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'vmic-pki-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Seconds since the epoch, as `openssl verify -attime` wants them. */
export function epochSeconds(d: Date): string {
  return String(Math.floor(d.getTime() / 1000));
}
