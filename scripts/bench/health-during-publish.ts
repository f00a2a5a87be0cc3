import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const vmic = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'vmic.js');

export interface HealthDuringPublish {
  /** `vmic publish` exit status */
  publishExit: number;
  publishSeconds: number;
  /** /healthz latencies (ms) of the polls made while the publish ran, in order */
  latenciesMs: number[];
  /** polls that did not answer 200 */
  failures: number;
}

async function waitForHealth(url: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('vmic serve did not start');
}

/**
 * The real `vmic serve` on `dir` answers /healthz, polled every 50 ms, while the real
 * `vmic publish --endorser NAME` runs against the same instance from another process and
 * holds the database's write lock. The latencies show whether the server's event loop
 * ever waits on that lock. Shared by `npm run bench` (e) and its test, which report the
 * same figure.
 */
export async function healthDuringPublish(
  dir: string,
  endorser: string,
  port: number,
): Promise<HealthDuringPublish> {
  const server = spawn(process.execPath, [vmic, 'serve', '--data', dir, '--port', String(port)], {
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHealth(url);
    let publishing = true;
    const started = process.hrtime.bigint();
    const publish = new Promise<number>((resolve, reject) => {
      const p = spawn(process.execPath, [vmic, 'publish', '--endorser', endorser, '--data', dir], {
        stdio: 'ignore',
      });
      p.on('error', reject);
      p.on('exit', (code) => {
        publishing = false;
        resolve(code ?? 1);
      });
    });
    const latenciesMs: number[] = [];
    let failures = 0;
    while (publishing) {
      const t = process.hrtime.bigint();
      const res = await fetch(`${url}/healthz`);
      await res.arrayBuffer();
      if (res.status !== 200) failures++;
      latenciesMs.push(Number(process.hrtime.bigint() - t) / 1e6);
      await new Promise((r) => setTimeout(r, 50));
    }
    const publishExit = await publish;
    return {
      publishExit,
      publishSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      latenciesMs,
      failures,
    };
  } finally {
    server.kill();
    await new Promise((r) => server.once('exit', r));
  }
}

/** "N polls, median M ms, worst W ms" for a report line. */
export function describeLatencies(latenciesMs: readonly number[]): string {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  const worst = sorted[sorted.length - 1] ?? NaN;
  return `${sorted.length} polls, median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms`;
}
