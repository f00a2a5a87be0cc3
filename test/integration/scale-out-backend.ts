import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as S3 from '@aws-sdk/client-s3';
import { createBucket, createDatabase } from '../helpers/backends.ts';

/**
 * What the replicas share. The test runs on a fresh PostgreSQL database and a fresh RGW
 * bucket (the servers test/setup/run-tests.sh started). `VMIC_SCALE_OUT_BACKEND=sqlite`
 * instead gives every replica the same SQLite data directory on this machine (WAL): a
 * way to work on the harness without the servers, not what the issue asks to check.
 */
export interface ScaleOutBackend {
  readonly name: 'postgres-rgw' | 'sqlite-shared';
  /** For every replica and every `vmic` command: database, blobs, object store keys, master key. */
  readonly env: Readonly<Record<string, string>>;
  /** Replica i's data directory (the one shared directory on SQLite). */
  dataDir(replica: number): string;
  /** Every stored blob key (bucket keys, or paths under the blob directories). */
  blobKeys(): Promise<string[]>;
  /** Multipart uploads the bucket holds open (none on disk). */
  openUploads(): Promise<number>;
  dispose(): Promise<void>;
}

export async function scaleOutBackend(work: string): Promise<ScaleOutBackend> {
  // One master key for all: every replica must open the others' sealed keys and tokens.
  const masterKey = crypto.randomBytes(32).toString('hex');
  if (process.env.VMIC_SCALE_OUT_BACKEND === 'sqlite') return sqliteShared(work, masterKey);
  const id = crypto.randomBytes(6).toString('hex');
  const db = await createDatabase(`vmic_scale_${id}`);
  let bucket: Awaited<ReturnType<typeof createBucket>>;
  try {
    bucket = await createBucket(`vmic-scale-${id}`);
  } catch (e) {
    await db.drop();
    throw e;
  }
  const name = `vmic-scale-${id}`;
  const s3 = new S3.S3Client({
    endpoint: process.env.VMIC_TEST_S3_ENDPOINT!,
    region: process.env.AWS_REGION ?? 'us-east-1',
    forcePathStyle: true,
  });
  const env: Record<string, string> = {
    VMIC_MASTER_KEY: masterKey,
    VMIC_DATABASE_URL: db.url,
    VMIC_BLOB_URL: bucket.url,
  };
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'])
    if (process.env[k]) env[k] = process.env[k];
  return {
    name: 'postgres-rgw',
    env,
    dataDir: (i) => path.join(work, `replica-${i}`),
    blobKeys: async () => {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await s3.send(
          new S3.ListObjectsV2Command({ Bucket: name, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = page.NextContinuationToken;
      } while (token);
      return keys;
    },
    openUploads: async () =>
      (await s3.send(new S3.ListMultipartUploadsCommand({ Bucket: name }))).Uploads?.length ?? 0,
    dispose: async () => {
      try {
        await bucket.drop();
      } finally {
        s3.destroy();
        await db.drop();
      }
    },
  };
}

function sqliteShared(work: string, masterKey: string): ScaleOutBackend {
  const data = path.join(work, 'shared-data');
  return {
    name: 'sqlite-shared',
    env: { VMIC_MASTER_KEY: masterKey },
    dataDir: () => data,
    blobKeys: () => Promise.resolve(filesUnder(path.join(data, 'blobs'))),
    openUploads: () => Promise.resolve(0),
    dispose: () => Promise.resolve(),
  };
}

export function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)],
    );
}
