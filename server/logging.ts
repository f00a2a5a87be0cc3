import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type Logger } from 'pino';
import type { CatalogEvent } from '../catalog/observe.ts';
import { VmicError } from '../errors/index.ts';

/** A sink for whole log lines (one JSON object each, without the newline). */
export type LogLine = (line: string) => void;

export interface LogOptions {
  /** Receives every line at level `error` and above (500s, answers cut off). */
  log?: LogLine | undefined;
  /**
   * Receives every line at `logLevel`: requests, refusals, errors. Default: stderr, or
   * nothing when `log` is given (an embedder that takes the error lines takes the log).
   */
  logStream?: LogLine | undefined;
  /** trace, debug, info, warn, error, fatal or silent; default $VMIC_LOG_LEVEL, else info. */
  logLevel?: string | undefined;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
type Level = (typeof LEVELS)[number];

export function parseLogLevel(text: string): Level {
  const level = LEVELS.find((l) => l === text.trim().toLowerCase());
  if (!level)
    throw new VmicError('CONFIG', `log level must be one of ${LEVELS.join(', ')}, got ${text}`);
  return level;
}

/**
 * Secrets never reach a log line (threat: bearer tokens, session cookies or keys copied
 * into log storage that many more people can read than the API). Request lines carry no
 * headers at all; these paths catch a header or key object logged by mistake.
 */
export const REDACT_PATHS = [
  'authorization',
  'cookie',
  'token',
  'password',
  'privateKey',
  'keyPem',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  '*.authorization',
  '*.cookie',
  '*.token',
  '*.password',
  '*.privateKey',
  '*.keyPem',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["set-cookie"]',
];

/** The request a line is written for, so that lines written deep in a request name it. */
export const requestContext = new AsyncLocalStorage<{ requestId: string }>();

export function createLogger(opts: LogOptions = {}): Logger {
  const level = parseLogLevel(opts.logLevel ?? process.env.VMIC_LOG_LEVEL ?? 'info');
  const all = opts.logStream ?? (opts.log ? undefined : stderrLine);
  const errors = opts.log;
  const allLevel = pino.levels.values[level] ?? Infinity;
  // pino sets `lastLevel` on a stream that asks for metadata, before each write.
  const sink = {
    lastLevel: 0,
    [Symbol.for('pino.metadata')]: true,
    write(chunk: string) {
      const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
      if (all && this.lastLevel >= allLevel) all(line);
      if (errors && this.lastLevel >= pino.levels.values.error!) errors(line);
    },
  };
  // The error sink hears errors whatever the level, so that a 500 is never silenced.
  const effective = errors && allLevel > pino.levels.values.error! ? 'error' : level;
  return pino(
    {
      level: effective,
      base: { service: 'vmic' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      mixin: () => requestContext.getStore() ?? {},
    },
    sink,
  );
}

function stderrLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Log lines for what the domain reports (catalog/observe.ts): every import refusal and
 * every gate refusal with its reason codes, whether a request or the import schedule
 * caused it (a request's lines carry its id through `requestContext`).
 */
export function logEvent(logger: Logger, e: CatalogEvent): void {
  if (e.type === 'import' && !['applied', 'unchanged', 'not-modified'].includes(e.result))
    logger.warn(
      { event: 'import.refused', subscription: e.subscription, code: e.result, rule: e.rule },
      `import of ${e.subscription} refused: ${e.result}${e.message ? `: ${e.message}` : ''}`,
    );
  else if (e.type === 'gate' && !e.deployable)
    logger.info(
      { event: 'gate.refused', image: e.image, subscription: e.subscription, codes: e.reasons },
      `gate refused ${e.image}: ${e.reasons.join(', ')}`,
    );
  else if (e.type === 'fetch' && e.code !== undefined)
    logger.warn(
      { event: `fetch.${e.outcome}`, subscription: e.subscription, code: e.code },
      `fetch for ${e.subscription} ${e.outcome}: ${e.code}`,
    );
  else if (e.type === 'migration' && e.result !== 'done')
    logger.warn(
      { event: 'migration.refused', stage: e.stage, code: e.result },
      `migration ${e.stage} stage refused: ${e.result}`,
    );
  else if (e.type === 'approval-feed' && e.result !== 'signed')
    logger.warn(
      { event: `approval-feed.${e.result}` },
      `approval feed ${e.result}: ${e.message ?? ''}`,
    );
}
