import { VmicError } from '../../../errors/index.ts';

/** Where blobs and the site cache live in an S3-compatible store, from `VMIC_BLOB_URL`. */
export interface S3Location {
  bucket: string;
  /** Undefined for AWS itself; `https://rgw.example:7480` for Ceph RGW and others. */
  endpoint: string | undefined;
  region: string;
  /** Key prefix, `''` or ending in `/`, so that one bucket can hold several instances. */
  prefix: string;
  /** How `GET /blobs/…` answers: streaming the bytes (default) or a presigned redirect. */
  reads: 'proxy' | 'presigned';
  /** Lifetime of a presigned URL. */
  presignSeconds: number;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX = /^(?:[A-Za-z0-9._-]+\/)*$/;
const KNOWN = new Set(['endpoint', 'region', 'prefix', 'redirect', 'presign-seconds']);

/**
 * `s3://BUCKET?endpoint=https://…&region=…&prefix=vmic/&redirect=presigned&presign-seconds=300`.
 * Credentials are never in the URL: the SDK's default chain reads `AWS_*` (threat: a
 * secret in a command line or a process listing). Unknown parameters are refused, so a
 * misspelt `redirect` is not silently ignored.
 */
export function parseBlobUrl(raw: string): S3Location {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new VmicError('CONFIG', `blob URL is not a URL: ${raw}`);
  }
  if (url.protocol !== 's3:') throw new VmicError('CONFIG', 'blob URL must start with s3://');
  const bucket = url.hostname;
  if (!BUCKET.test(bucket)) throw new VmicError('CONFIG', `not an S3 bucket name: ${bucket}`);
  if (url.pathname !== '' && url.pathname !== '/')
    throw new VmicError('CONFIG', 'blob URL: give a key prefix as ?prefix=…, not as a path');
  const q = url.searchParams;
  for (const k of q.keys())
    if (!KNOWN.has(k)) throw new VmicError('CONFIG', `blob URL: unknown parameter ${k}`);
  let prefix = q.get('prefix') ?? '';
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  if (!PREFIX.test(prefix) || prefix.split('/').some((p) => p === '.' || p === '..'))
    throw new VmicError('CONFIG', `blob URL: bad key prefix ${prefix}`);
  const redirect = q.get('redirect') ?? 'proxy';
  if (redirect !== 'proxy' && redirect !== 'presigned')
    throw new VmicError('CONFIG', 'blob URL: redirect must be proxy or presigned');
  const seconds = Number(q.get('presign-seconds') ?? 300);
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > 7 * 24 * 3600)
    throw new VmicError('CONFIG', 'blob URL: presign-seconds must be 1 to 604800');
  const endpoint = q.get('endpoint') ?? undefined;
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint))
    throw new VmicError('CONFIG', 'blob URL: endpoint must be an http(s) URL');
  return {
    bucket,
    endpoint,
    region: q.get('region') ?? process.env.AWS_REGION ?? 'us-east-1',
    prefix,
    reads: redirect,
    presignSeconds: seconds,
  };
}
