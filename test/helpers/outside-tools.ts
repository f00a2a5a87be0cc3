import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ToolResult {
  ok: boolean;
  stdout: string;
  stderr: string;
}

/** Runs a stock tool (rapper, python3) and reports success without throwing; openssl: ./openssl/. */
export async function tool(cmd: string, args: string[]): Promise<ToolResult> {
  try {
    const r = await run(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    return { ok: true, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}
