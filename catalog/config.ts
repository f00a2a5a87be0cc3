import path from 'node:path';
import { VmicError } from '../errors/index.ts';

/** Typed instance configuration, validated once at start-up (docs/design.md §5). */
export interface InstanceConfig {
  /** Instance directory: database, blob store, master key file. */
  readonly dataDir: string;
  /** Public base URL without trailing slash; catalog IRIs and download URLs are made from it. */
  readonly publicUrl: string;
  /**
   * False when no option, environment variable or listen address named the URL: the
   * instance then uses the URL it was last served or configured with (see openInstance).
   */
  readonly publicUrlExplicit: boolean;
  readonly limits: Limits;
}

/** Size bounds on every input that an outsider can make large (threat: endless data). */
export interface Limits {
  readonly imageBytes: number;
  readonly metadataChars: number;
  readonly jsonBodyBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  imageBytes: 64 * 1024 ** 3,
  metadataChars: 4096,
  jsonBodyBytes: 256 * 1024,
};

export const DEFAULT_PUBLIC_URL = 'http://127.0.0.1:8080';

export function normalisePublicUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new VmicError('CONFIG', `public URL is not a URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new VmicError('CONFIG', `public URL must be http or https: ${raw}`);
  }
  if (url.search || url.hash) {
    throw new VmicError('CONFIG', `public URL must not have a query or fragment: ${raw}`);
  }
  return url.toString().replace(/\/+$/, '');
}

export function resolveConfig(opts: {
  dataDir?: string | undefined;
  publicUrl?: string | undefined;
  env?: NodeJS.ProcessEnv;
  limits?: Partial<Limits>;
}): InstanceConfig {
  const env = opts.env ?? process.env;
  const dataDir = path.resolve(opts.dataDir || env.VMIC_DATA || 'data');
  const named = opts.publicUrl || env.VMIC_PUBLIC_URL;
  const publicUrl = normalisePublicUrl(named || DEFAULT_PUBLIC_URL);
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || v <= 0) {
      throw new VmicError('CONFIG', `limit ${k} must be a positive integer, got ${v}`);
    }
  }
  return { dataDir, publicUrl, publicUrlExplicit: Boolean(named), limits };
}
