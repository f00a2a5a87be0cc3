import crypto from 'node:crypto';
import path from 'node:path';
import type * as S3 from '@aws-sdk/client-s3';

/**
 * The storage a test instance runs on. By default the SQLite file and blob directories in
 * its data directory; with `VMIC_TEST_BACKEND=postgres-rgw` (set by test/setup/run-tests.sh for
 * its second pass) a fresh PostgreSQL database and a fresh bucket on the Ceph RADOS Gateway
 * that the setup script started, so that the same suites run on both.
 */
type BackendName = 'sqlite-disk' | 'postgres-rgw' | 'postgres-disk' | 'sqlite-rgw';

export interface TestBackend {
  readonly name: BackendName;
  readonly databaseUrl?: string;
  readonly blobUrl?: string;
  /** Drops the database and the bucket (after the instance is closed). */
  dispose(): Promise<void>;
}

const NAMES: readonly BackendName[] = [
  'sqlite-disk',
  'postgres-rgw',
  'postgres-disk',
  'sqlite-rgw',
];
const named = process.env.VMIC_TEST_BACKEND || 'sqlite-disk';
if (!(NAMES as readonly string[]).includes(named))
  throw new Error(`VMIC_TEST_BACKEND must be one of ${NAMES.join(', ')}, got ${named}`);
/** postgres-disk and sqlite-rgw are for developing one half at a time. */
export const BACKEND = named as BackendName;
const ON_POSTGRES = BACKEND.startsWith('postgres');
const ON_RGW = BACKEND.endsWith('rgw');

/** Whether test instances keep their catalog in PostgreSQL (not in the SQLite file). */
export function onPostgres(): boolean {
  return ON_POSTGRES;
}

/** Whether test instances keep their blobs in the RGW bucket (not in the data directory). */
export function onObjectStore(): boolean {
  return ON_RGW;
}

export async function testBackend(): Promise<TestBackend> {
  const id = crypto.randomBytes(6).toString('hex');
  const db = ON_POSTGRES ? await createDatabase(`vmic_${id}`) : undefined;
  const blobs = ON_RGW ? await createBucket(`vmic-${id}`) : undefined;
  return {
    name: BACKEND,
    ...(db ? { databaseUrl: db.url } : {}),
    ...(blobs ? { blobUrl: blobs.url } : {}),
    dispose: async () => {
      await blobs?.drop();
      await db?.drop();
    },
  };
}

function need(name: string): string {
  const v = process.env[name];
  if (!v)
    throw new Error(`${name} is not set: run the tests with npm test (test/setup/run-tests.sh)`);
  return v;
}

export async function createDatabase(
  name: string,
): Promise<{ url: string; drop(): Promise<void> }> {
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
  return { url: url.toString(), drop: () => dropDatabase(run, name) };
}

/**
 * `with (force)` ends the test's leftover connections, but not a server process of another
 * role (an autovacuum worker on the fresh database): PostgreSQL then refuses with 42501.
 * Retried a few times; a database still left is removed with the throwaway server at the
 * end of the run, so it only costs disk until then.
 */
async function dropDatabase(
  run: (statement: string) => Promise<void>,
  name: string,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await run(`drop database if exists ${name} with (force)`);
      return;
    } catch (e) {
      if ((e as { code?: string }).code !== '42501') throw e;
      if (attempt === 5) return;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

export async function createBucket(name: string): Promise<{ url: string; drop(): Promise<void> }> {
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

async function abortUploads(client: S3.S3Client, s3: typeof S3, bucket: string): Promise<void> {
  const page = await client.send(new s3.ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const u of page.Uploads ?? [])
    await client.send(
      new s3.AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }),
    );
}

/** The storage of each test instance's data directory, for commands run on it. */
const byDataDir = new Map<string, TestBackend>();

export function rememberBackend(dataDir: string, backend: TestBackend): void {
  byDataDir.set(path.resolve(dataDir), backend);
}

export function forgetBackend(dataDir: string): void {
  byDataDir.delete(path.resolve(dataDir));
}

/**
 * The environment a `vmic … --data DIR` child needs to open the same instance as the test
 * did: on the shared backend, its database and bucket (the directory alone would give the
 * command an empty SQLite file of its own).
 */
export function backendEnvFor(args: readonly string[]): Record<string, string> {
  const i = args.indexOf('--data');
  const dir = i >= 0 ? args[i + 1] : undefined;
  const backend = dir === undefined ? undefined : byDataDir.get(path.resolve(dir));
  return {
    ...(backend?.databaseUrl ? { VMIC_DATABASE_URL: backend.databaseUrl } : {}),
    ...(backend?.blobUrl ? { VMIC_BLOB_URL: backend.blobUrl } : {}),
  };
}

/**
 * Runs `statement` on an instance's database from outside vmic, as someone with direct
 * access to the database would (a tampering test): through its own connection, the
 * SQLite file or the PostgreSQL server.
 */
export async function rawExecute(
  where: { dataDir: string; databaseUrl?: string | undefined },
  statement: string,
): Promise<void> {
  await rawQuery(where, statement);
}

/** The rows of `query` as the database holds them, read from outside vmic (see rawExecute). */
export async function rawQuery(
  where: { dataDir: string; databaseUrl?: string | undefined },
  query: string,
): Promise<Record<string, unknown>[]> {
  if (where.databaseUrl === undefined) {
    const { default: SqliteDatabase } = await import('better-sqlite3');
    const raw = new SqliteDatabase(path.join(where.dataDir, 'vmic.sqlite'));
    try {
      const statement = raw.prepare(query);
      if (!statement.reader) {
        statement.run();
        return [];
      }
      return statement.all() as Record<string, unknown>[];
    } finally {
      raw.close();
    }
  }
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: where.databaseUrl });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(query)).rows;
  } finally {
    await client.end();
  }
}
