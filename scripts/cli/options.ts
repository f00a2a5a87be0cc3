import { parseArgs, type ParseArgsConfig } from 'node:util';
import { resolveConfig, type InstanceConfig } from '../../catalog/config.ts';
import { UsageError } from './usage-error.ts';

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Options every command accepts (docs/design.md §5). */
export const COMMON_OPTIONS = {
  data: { type: 'string' },
  'public-url': { type: 'string' },
  'database-url': { type: 'string' },
  'blob-url': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies OptionSpec;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parse(argv: string[], options: OptionSpec, allowPositionals = true): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...options },
      allowPositionals,
      strict: true,
    });
    return { values, positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  return typeof v === 'string' ? v : undefined;
}

export function required(p: Parsed, name: string): string {
  const v = str(p, name);
  if (v === undefined || v === '') throw new UsageError(`--${name} is required`);
  return v;
}

export function flag(p: Parsed, name: string): boolean {
  return p.values[name] === true;
}

export function instanceConfig(p: Parsed, publicUrlDefault?: string): InstanceConfig {
  return resolveConfig({
    dataDir: str(p, 'data'),
    publicUrl: str(p, 'public-url') || process.env.VMIC_PUBLIC_URL || publicUrlDefault,
    databaseUrl: str(p, 'database-url'),
    blobUrl: str(p, 'blob-url'),
  });
}

/** Durations like `30d`, `12h`, `90m`, `45s` (or plain seconds). */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  if (!m)
    throw new UsageError(
      `${what}: expected a duration like 30d, 12h, 90m or 45s, got ${JSON.stringify(text)}`,
    );
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

export function parsePort(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--port must be 0-65535, got ${text}`);
  return n;
}
