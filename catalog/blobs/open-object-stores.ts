import path from 'node:path';
import type { InstanceConfig } from '../config.ts';
import { BlobStore } from './blob-store.ts';
import type { ObjectStore } from './object-store.ts';
import { S3Bucket } from './s3/s3-bucket.ts';
import { parseBlobUrl } from './s3/s3-location.ts';
import { S3ObjectStore } from './s3/s3-object-store.ts';

/** The endorser's blobs and the site's image cache, and how to let go of them. */
export interface ObjectStores {
  blobs: ObjectStore;
  siteCache: ObjectStore;
  close(): Promise<void>;
}

/**
 * Without a blob URL: `blobs/` and `cache/` in the data directory, as always. With
 * `s3://…`: `blobs/` and `cache/` key areas in that bucket (under its prefix), which any
 * number of replicas share. Nothing is contacted here (the SDK loads on first use).
 */
export function openObjectStores(config: InstanceConfig): ObjectStores {
  if (config.blobUrl === undefined)
    return {
      blobs: new BlobStore(path.join(config.dataDir, 'blobs')),
      siteCache: new BlobStore(path.join(config.dataDir, 'cache'), { lazy: true, dirMode: 0o750 }),
      close: () => Promise.resolve(),
    };
  const location = parseBlobUrl(config.blobUrl);
  const bucket = new S3Bucket(location);
  return {
    blobs: new S3ObjectStore(bucket, `${location.prefix}blobs/`),
    siteCache: new S3ObjectStore(bucket, `${location.prefix}cache/`),
    close: () => bucket.close(),
  };
}
