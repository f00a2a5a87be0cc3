/**
 * The one way tests run stock OpenSSL, the outside tool that checks what vmic makes and
 * makes what vmic must accept or refuse (STYLE §9). Everything else in this folder (CAs,
 * leaves, CRLs, CMS) is built on `openssl` / `opensslOk` below.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pemToDers } from '../../../pki/index.ts';

export interface OpensslResult {
  status: number;
  ok: boolean;
  stdout: Buffer;
  stderr: string;
}

export interface OpensslOptions {
  /** Working directory (relative file names in `args` are read from here). */
  cwd?: string;
  /** Bytes for standard input. */
  input?: Buffer | string;
}

/**
 * Big enough for any certificate, CRL or small signed catalog on stdout. Large data (a
 * catalog of thousands of images, a signature over a big file) goes to a file with `-out`
 * instead, and is read from there.
 */
const MAX_BUFFER = 256 * 1024 * 1024;

/** Runs `openssl args…` and reports the outcome without throwing (for tests that expect a refusal). */
export function openssl(args: string[], opts: OpensslOptions = {}): OpensslResult {
  const r = spawnSync('openssl', args, {
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    maxBuffer: MAX_BUFFER,
  });
  if (r.error) throw new Error(`openssl ${args.join(' ')}: ${r.error.message}`);
  const status = r.status ?? -1;
  return { status, ok: status === 0, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

/** Runs `openssl args…` and returns its stdout; a failure throws with OpenSSL's stderr. */
export function opensslOk(args: string[], opts: OpensslOptions = {}): Buffer {
  const r = openssl(args, opts);
  if (!r.ok) throw new Error(`openssl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** The first certificate of a PEM file, as DER. */
export function readCertDer(file: string): Uint8Array {
  return pemToDers(readFileSync(file, 'utf8'), 'CERTIFICATE')[0] as Uint8Array;
}

export async function withTempDir<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
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
