import crypto from 'node:crypto';

/**
 * The storage a test instance runs on. By default the SQLite file and blob directories in
 * its data directory; with `VMIC_TEST_BACKEND=postgres-rgw` (set by test/setup/run.sh for
 * its second pass) a fresh PostgreSQL database and a fresh bucket on the Ceph RADOS Gateway
 * that the setup script started, so that the same suites run on both.
 */
export interface TestBackend {
  readonly name: 'sqlite-disk' | 'postgres-rgw';
  readonly databaseUrl?: string;
  readonly blobUrl?: string;
  /** Drops the database and the bucket (after the instance is closed). */
  dispose(): Promise<void>;
}

export const BACKEND =
  process.env.VMIC_TEST_BACKEND === 'postgres-rgw' ? 'postgres-rgw' : 'sqlite-disk';

export function onSharedBackend(): boolean {
  return BACKEND === 'postgres-rgw';
}

export async function testBackend(): Promise<TestBackend> {
  if (BACKEND === 'sqlite-disk') return { name: BACKEND, dispose: () => Promise.resolve() };
  const id = crypto.randomBytes(6).toString('hex');
  const db = await createDatabase(`vmic_${id}`);
  const blobs = await createBucket(`vmic-${id}`);
  return {
    name: BACKEND,
    databaseUrl: db.url,
    blobUrl: blobs.url,
    dispose: async () => {
      await blobs.drop();
      await db.drop();
    },
  };
}

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests with npm test (test/setup/run.sh)`);
  return v;
}

async function createDatabase(name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pg } = await import('pg');
  const admin = need('VMIC_TEST_PG_URL');
  const run = async (statement: string): Promise<void> => {
    const client = new pg.Client({ connectionString: admin });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await run(`create database ${name}`);
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => run(`drop database if exists ${name} with (force)`) };
}

async function createBucket(name: string): Promise<{ url: string; drop(): Promise<void> }> {
  const s3 = await import('@aws-sdk/client-s3');
  const endpoint = need('VMIC_TEST_S3_ENDPOINT');
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const client = new s3.S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await client.send(new s3.CreateBucketCommand({ Bucket: name }));
  const drop = async (): Promise<void> => {
    for (;;) {
      const page = await client.send(new s3.ListObjectsV2Command({ Bucket: name }));
      const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
      if (keys.length === 0) break;
      await client.send(new s3.DeleteObjectsCommand({ Bucket: name, Delete: { Objects: keys } }));
    }
    await abortUploads(client, s3, name);
    await client.send(new s3.DeleteBucketCommand({ Bucket: name }));
    client.destroy();
  };
  const q = new URLSearchParams({ endpoint, region });
  return { url: `s3://${name}?${q.toString()}`, drop };
}

async function abortUploads(
  client: import('@aws-sdk/client-s3').S3Client,
  s3: typeof import('@aws-sdk/client-s3'),
  bucket: string,
): Promise<void> {
  const page = await client.send(new s3.ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const u of page.Uploads ?? [])
    await client.send(
      new s3.AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }),
    );
}
