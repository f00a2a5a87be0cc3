import { openInstance, type Instance } from '../../../catalog/index.ts';
import {
  parseCidrList,
  parseTrustProxy,
  startServer,
  type AppOptions,
  type MetricsAccess,
} from '../../../server/index.ts';
import { loadWebConfig, type WebConfig } from '../../../server/web/index.ts';
import { startImportSchedule } from '../../../catalog/site/import-schedule.ts';
import { startApprovalFeedTimer } from '../../../catalog/site/approval-feed-schedule.ts';
import { MAX_FEED_MAX_AGE_SECONDS, setFeedMaxAge } from '../../../server/http-cache.ts';
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
import { describeSync, GLANCE_OPTIONS, glanceConnection } from './glance.ts';
import { startGlanceSchedule } from '../../../catalog/glance/glance-schedule.ts';
import { startWitnessSchedule } from '../../../catalog/witness/witness-schedule.ts';
import type { GlanceConnection } from '../../../catalog/glance/glance-connection.ts';
import { UsageError } from '../usage-error.ts';

export const SERVE_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'import-every': { type: 'string' },
  'feed-max-age': { type: 'string' },
  'metrics-allow': { type: 'string' },
  'metrics-require-token': { type: 'boolean', default: false },
  'trust-proxy': { type: 'string' },
  'glance-sync-every': { type: 'string' },
  'witness-every': { type: 'string' },
  ...GLANCE_OPTIONS,
} as const;

/** The Glance sync `vmic serve` runs itself, when asked to. */
export interface GlanceScheduleOptions {
  everySeconds: number;
  connection: GlanceConnection;
}

/** `--glance-sync-every 15m` with `--os-cloud NAME` (or OS_CLOUD) or `--glance-url URL`. */
export function glanceSchedule(p: Parsed): GlanceScheduleOptions | undefined {
  const text = str(p, 'glance-sync-every');
  if (text === undefined) {
    if (str(p, 'glance-url') || str(p, 'os-cloud'))
      throw new UsageError('--glance-url and --os-cloud need --glance-sync-every');
    return undefined;
  }
  const everySeconds = parseDuration(text, '--glance-sync-every');
  if (everySeconds < 60) throw new UsageError('--glance-sync-every must be at least 1m');
  return { everySeconds, connection: glanceConnection(p) };
}

/** What the serving commands pass to the app beyond the web layer. */
export type ServeHttpOptions = Pick<AppOptions, 'metrics' | 'trustProxy'>;

export async function serveCommand(argv: string[]): Promise<number> {
  const p = parse(argv, SERVE_OPTIONS, false);
  const { host, port } = listenAddress(p);
  const every = importEvery(p);
  const http = serveHttpOptions(p);
  const maxAge = feedMaxAge(p);
  const glance = glanceSchedule(p);
  const witnessEvery = witnessEveryOf(p);
  const inst = await openInstance(serveConfig(p, `http://${hostForUrl(host)}:${port}`), {
    serving: true,
  });
  if (maxAge !== undefined) setFeedMaxAge(inst, maxAge);
  const web = loadWebConfig(inst, { demoMode: false });
  await serveUntilSignal(inst, host, port, () => {}, every, web, http, glance, witnessEvery);
  return 0;
}

/** `--witness-every 10m`: read the followed logs on a schedule (`vmic witness run`). */
function witnessEveryOf(p: Parsed): number | undefined {
  const text = str(p, 'witness-every');
  if (text === undefined) return undefined;
  const seconds = parseDuration(text, '--witness-every');
  if (seconds < 60) throw new UsageError('--witness-every must be at least 1m');
  return seconds;
}

/** `--metrics-allow`, `--metrics-require-token` and `--trust-proxy`, checked before start. */
export function serveHttpOptions(p: Parsed): ServeHttpOptions {
  const trustProxy = trustProxyOf(p);
  return { metrics: metricsAccessOf(p), ...(trustProxy ? { trustProxy } : {}) };
}

/**
 * `--trust-proxy 127.0.0.1/32,10.1.0.0/16` (or `$VMIC_TRUST_PROXY`): the reverse proxies
 * whose X-Forwarded-For names the client, for the per-address transfer limit and the
 * metrics allow-list (server/client-address.ts; threat: a client forging the header to
 * get a fresh bucket or to frame another address, so it is honoured from these only).
 * Default none. A malformed block is a CONFIG error (exit 2) at start-up.
 */
export function trustProxyOf(p: Parsed): string[] | undefined {
  const text = str(p, 'trust-proxy') ?? (process.env.VMIC_TRUST_PROXY || undefined);
  return text === undefined ? undefined : parseTrustProxy(text);
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

/**
 * The instance configuration of `serve`. Alone, the listen address is the public URL
 * when none is named. On a shared database it is not: it is one replica's address, and
 * every replica would record its own as the instance's URL, putting it into the catalogs
 * it publishes (threat: download links that only work through one replica, or not from
 * outside at all). There the URL recorded by the last replica named one is used.
 */
function serveConfig(p: Parsed, listenUrl: string) {
  const shared = instanceConfig(p).databaseUrl !== undefined;
  const config = instanceConfig(p, shared ? undefined : listenUrl);
  if (shared && !config.publicUrlExplicit)
    process.stderr.write(
      "vmic: on a shared database give every replica the same --public-url (or $VMIC_PUBLIC_URL): the URL clients use, e.g. the load balancer's\n",
    );
  return config;
}

/**
 * `--feed-max-age 60s` (or `$VMIC_FEED_MAX_AGE`): how long a shared cache may serve the
 * latest feed paths without revalidating; undefined keeps the default (one minute).
 */
export function feedMaxAge(p: Parsed): number | undefined {
  const text = str(p, 'feed-max-age') ?? (process.env.VMIC_FEED_MAX_AGE || undefined);
  if (text === undefined) return undefined;
  const seconds = parseDuration(text, '--feed-max-age');
  if (seconds > MAX_FEED_MAX_AGE_SECONDS)
    throw new UsageError(`--feed-max-age must be at most ${MAX_FEED_MAX_AGE_SECONDS / 60}m`);
  return seconds;
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
  http: ServeHttpOptions = {},
  glance?: GlanceScheduleOptions,
  witnessEverySeconds?: number,
): Promise<void> {
  const server = await startServer(inst, { host, port }, { ...(web ? { web } : {}), ...http });
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
  const glanceSync =
    glance === undefined
      ? undefined
      : startGlanceSchedule(inst, glance.everySeconds, glance.connection, (r) => {
          const lines =
            r instanceof Error ? [r.message] : describeSync(r).map((l) => l.trimStart());
          for (const l of lines) process.stderr.write(`scheduled Glance sync: ${l}\n`);
        });
  const witness =
    witnessEverySeconds === undefined
      ? undefined
      : startWitnessSchedule(inst, witnessEverySeconds, (r) => {
          const lines =
            r instanceof Error
              ? [r.message]
              : r
                  .filter((o) => o.result !== 'unchanged')
                  .map((o) => `${o.origin} ${o.result}${o.message ? `: ${o.message}` : ''}`);
          for (const l of lines) process.stderr.write(`scheduled witness run: ${l}\n`);
        });
  const approvalFeed = startApprovalFeedTimer(inst);
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
  await glanceSync?.stop();
  await witness?.stop();
  await approvalFeed.stop();
  await server.close();
  await inst.close();
}
