import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendEnvFor } from './backends.ts';

export const VMIC_BIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../scripts/vmic.js',
);

/**
 * Instance settings a developer's shell may have set, blanked so that a command under
 * test uses only its --data directory (and what the test passes).
 */
const BLANK_INSTANCE_ENV = {
  VMIC_MASTER_KEY: '',
  VMIC_MASTER_KEY_FILE: '',
  VMIC_DATA: '',
  VMIC_PUBLIC_URL: '',
  VMIC_DATABASE_URL: '',
  VMIC_BLOB_URL: '',
  VMIC_TRUST_PROXY: '',
};

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `vmic` command in a child process, as a user or a cron job would. */
export function vmic(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
  const r = spawnSync(process.execPath, [VMIC_BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...BLANK_INSTANCE_ENV, ...backendEnvFor(args), ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * `vmic` without blocking this process: for commands that talk to a server this test
 * process serves (a blocking spawn would leave it unable to answer).
 */
export function vmicAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VMIC_BIN, ...args], {
      env: { ...process.env, ...BLANK_INSTANCE_ENV, ...backendEnvFor(args), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

/** Starts a long-running `vmic` command (serve, demo) and resolves once it listens. */
export function startVmic(
  args: string[],
): Promise<{ url: string; stdout: () => string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [VMIC_BIN, ...args], {
    env: { ...process.env, ...BLANK_INSTANCE_ENV, ...backendEnvFor(args) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /vmic listening on (\S+)/.exec(err);
      if (m) {
        resolve({
          url: m[1]!,
          stdout: () => out,
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
      }
    });
    child.on('exit', (code) =>
      reject(new Error(`vmic ${args.join(' ')} exited with ${code}: ${err}`)),
    );
  });
}
