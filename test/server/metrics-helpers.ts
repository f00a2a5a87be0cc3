import { spawnSync } from 'node:child_process';
import { createToken, type Instance, type Role } from '../../catalog/index.ts';
import { startServer, type AppOptions } from '../../server/index.ts';
import { tempInstance } from '../helpers/temp-instance.ts';
import { bearer } from './harness.ts';

export interface ObservedServer {
  inst: Instance;
  url: string;
  dir: string;
  /** Every structured log line the server wrote (requests, refusals, errors). */
  lines: string[];
  /** The error lines only (AppOptions.log): a test that expects none asserts it stays empty. */
  errors: string[];
  token(role: Role): Promise<string>;
  metrics(token?: string): Promise<string>;
  close(): Promise<void>;
}

/** A real server on loopback over a fresh instance, its log lines captured. */
export async function startObserved(
  opts: { now?: Date; app?: AppOptions } = {},
): Promise<ObservedServer> {
  const t = await tempInstance({
    ...(opts.now ? { now: () => opts.now! } : {}),
    publicUrl: 'http://site.test',
  });
  const lines: string[] = [];
  const errors: string[] = [];
  const server = await startServer(
    t.inst,
    { host: '127.0.0.1', port: 0 },
    {
      logLevel: 'info',
      log: (l) => errors.push(l),
      logStream: (l) => lines.push(l),
      ...opts.app,
    },
  );
  const token = async (role: Role) =>
    (await createToken(t.inst, { role, ttlSeconds: 3600, actor: 'test' })).token;
  return {
    inst: t.inst,
    url: server.url,
    dir: t.dir,
    lines,
    errors,
    token,
    async metrics(tok) {
      const res = await fetch(`${server.url}/metrics`, {
        headers: bearer(tok ?? (await token('metrics'))),
      });
      if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
      return res.text();
    },
    close: async () => {
      await server.close();
      await t.cleanup();
    },
  };
}

/** The value of one sample, by its exact labels as exposed (`name{a="b",c="d"}`), or undefined. */
export function sample(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

/** The log lines as objects. */
export function parsed(lines: readonly string[]): Record<string, unknown>[] {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Runs promtool with `input` on stdin. */
export function promtool(args: string[], input?: string): { status: number; output: string } {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}
