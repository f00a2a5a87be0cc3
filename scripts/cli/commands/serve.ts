import { openInstance, type Instance } from '../../../catalog/index.ts';
import { parseCidrList, startServer, type MetricsAccess } from '../../../server/index.ts';
import { loadWebConfig, type WebConfig } from '../../../server/web/index.ts';
import { startImportSchedule } from '../../../catalog/site/import-schedule.ts';
import {
  flag,
  instanceConfig,
  parse,
  parseDuration,
  parsePort,
  str,
  type Parsed,
} from '../options.ts';
import { describeOutcome } from './import.ts';
import { UsageError } from '../usage-error.ts';

export const SERVE_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'import-every': { type: 'string' },
  'metrics-allow': { type: 'string' },
  'metrics-require-token': { type: 'boolean', default: false },
} as const;

export async function serveCommand(argv: string[]): Promise<number> {
  const p = parse(argv, SERVE_OPTIONS, false);
  const { host, port } = listenAddress(p);
  const every = importEvery(p);
  const metrics = metricsAccessOf(p);
  const inst = await openInstance(instanceConfig(p, `http://${hostForUrl(host)}:${port}`));
  const web = loadWebConfig(inst, { demoMode: false });
  await serveUntilSignal(inst, host, port, () => {}, every, web, metrics);
  return 0;
}

/**
 * `--metrics-allow 127.0.0.1/32,::1/128`: only these clients may read /metrics, without a
 * token unless `--metrics-require-token`. Without it a token (role metrics) is required.
 */
export function metricsAccessOf(p: Parsed): MetricsAccess {
  const allow = str(p, 'metrics-allow');
  const requireToken = flag(p, 'metrics-require-token');
  if (allow === undefined) {
    if (requireToken)
      throw new UsageError(
        '--metrics-require-token needs --metrics-allow (a token is the default)',
      );
    return {};
  }
  try {
    return { allow: parseCidrList(allow), requireToken };
  } catch (e) {
    throw new UsageError(`--metrics-allow: ${(e as Error).message}`);
  }
}

export function importEvery(p: Parsed): number | undefined {
  const text = str(p, 'import-every');
  if (text === undefined) return undefined;
  const seconds = parseDuration(text, '--import-every');
  if (seconds < 60) throw new UsageError('--import-every must be at least 1m');
  return seconds;
}

export function listenAddress(p: Parsed): { host: string; port: number } {
  const host = str(p, 'host') ?? '127.0.0.1';
  if (!/^[A-Za-z0-9.:-]+$/.test(host))
    throw new UsageError(`--host: not a host name or address: ${host}`);
  return { host, port: parsePort(str(p, 'port') ?? '8080') };
}

export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Runs the server until SIGINT/SIGTERM, then closes connections and the database cleanly. */
export async function serveUntilSignal(
  inst: Instance,
  host: string,
  port: number,
  onListening: (url: string) => void | Promise<void>,
  importEverySeconds?: number,
  web?: WebConfig,
  metrics?: MetricsAccess,
): Promise<void> {
  const server = await startServer(
    inst,
    { host, port },
    {
      ...(web ? { web } : {}),
      ...(metrics ? { metrics } : {}),
    },
  );
  const schedule =
    importEverySeconds === undefined
      ? undefined
      : startImportSchedule(inst, importEverySeconds, (r) => {
          const lines =
            r instanceof Error
              ? [`scheduled import: ${r.message}`]
              : r.map((o) => `scheduled import: ${describeOutcome(o)}`);
          for (const l of lines) process.stderr.write(l + '\n');
        });
  process.stderr.write(
    `vmic listening on ${server.url} (public URL ${inst.config.publicUrl}, data ${inst.config.dataDir})\n`,
  );
  await onListening(server.url);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await schedule?.stop();
  await server.close();
  await inst.close();
}
