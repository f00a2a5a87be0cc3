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
  /**
   * `postgres://…` to keep the catalog in PostgreSQL (several replicas share it); undefined
   * for the SQLite file in the data directory.
   */
  readonly databaseUrl?: string | undefined;
  /**
   * `s3://BUCKET?endpoint=…&region=…` to keep blobs and the site cache in an S3-compatible
   * object store; undefined for the blob directories under the data directory.
   */
  readonly blobUrl?: string | undefined;
}

/** Size bounds on every input that an outsider can make large (threat: endless data). */
export interface Limits {
  readonly imageBytes: number;
  readonly metadataChars: number;
  readonly jsonBodyBytes: number;
  /** An attached software inventory (catalog/sbom/): bounds its parse and schema check too. */
  readonly sbomBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  imageBytes: 64 * 1024 ** 3,
  metadataChars: 4096,
  jsonBodyBytes: 256 * 1024,
  sbomBytes: 16 * 1024 ** 2,
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
  databaseUrl?: string | undefined;
  blobUrl?: string | undefined;
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
  const databaseUrl = checkDatabaseUrl(opts.databaseUrl || env.VMIC_DATABASE_URL || undefined);
  const blobUrl = checkBlobUrl(opts.blobUrl || env.VMIC_BLOB_URL || undefined);
  return { dataDir, publicUrl, publicUrlExplicit: Boolean(named), limits, databaseUrl, blobUrl };
}

function checkDatabaseUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^postgres(ql)?:\/\//.test(raw))
    throw new VmicError(
      'CONFIG',
      'database URL must start with postgres:// (or be unset for SQLite)',
    );
  return raw;
}

function checkBlobUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!raw.startsWith('s3://'))
    throw new VmicError(
      'CONFIG',
      'blob URL must start with s3:// (or be unset for the data directory)',
    );
  return raw;
}
