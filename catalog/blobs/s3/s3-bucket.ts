import type * as S3 from '@aws-sdk/client-s3';
import type { S3Location } from './s3-location.ts';

export type S3Sdk = typeof S3;

/** The SDK, a client for the bucket, and the bucket's name. */
export interface S3Connection {
  readonly sdk: S3Sdk;
  readonly client: S3.S3Client;
  readonly bucket: string;
  readonly location: S3Location;
}

/**
 * One bucket, shared by the blob store and the site cache. The SDK is loaded on the first
 * request, not when the instance opens: a short command that never touches a blob does
 * not pay its start-up, and SQLite-and-disk users never load it at all.
 */
export class S3Bucket {
  private connecting: Promise<S3Connection> | undefined;

  constructor(readonly location: S3Location) {}

  connect(): Promise<S3Connection> {
    this.connecting ??= this.open();
    return this.connecting;
  }

  async close(): Promise<void> {
    if (!this.connecting) return;
    const c = await this.connecting.catch(() => undefined);
    c?.client.destroy();
    this.connecting = undefined;
  }

  private async open(): Promise<S3Connection> {
    const sdk = await import('@aws-sdk/client-s3');
    const loc = this.location;
    const client = new sdk.S3Client({
      ...(loc.endpoint ? { endpoint: loc.endpoint } : {}),
      region: loc.region,
      // Ceph RGW (and most S3-compatible stores) serve buckets by path, not by host name.
      forcePathStyle: true,
      // Checksums only where the API requires them: a streamed PutObject with the SDK's
      // default trailing checksum is refused by RGW (HTTP 411). Our own SHA-256 of the
      // bytes, checked before a content-addressed key is written, is what vouches for them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return { sdk, client, bucket: loc.bucket, location: loc };
  }
}

/** Whether an SDK error means the key (or bucket) is not there. */
export function isNotFound(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    err?.name === 'NotFound' || err?.name === 'NoSuchKey' || err?.$metadata?.httpStatusCode === 404
  );
}
