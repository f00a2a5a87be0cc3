/**
 * The PostgreSQL store's own parts that need no server: what its errors print about the
 * URL, and how it reads numbers back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import util from 'node:util';
import { openPostgresStore } from '../../../catalog/store/postgres.ts';
import { pgTypes } from '../../../catalog/store/pg-types.ts';
import { redactDatabaseUrl } from '../../../catalog/store/redact-url.ts';

const SECRET = 'pa55-w0rd-never-printed';

function assertNoSecret(e: unknown): void {
  const printed = util.inspect(e, { depth: 10 }) + String((e as Error).stack);
  assert.equal(printed.includes(SECRET), false, printed);
}

test('a database that cannot be reached is CONFIG, and the message never holds the password', async () => {
  // Port 1 on loopback: nothing listens, so the connection is refused at once.
  const url = `postgres://vmic:${SECRET}@127.0.0.1:1/vmic?sslpassword=${SECRET}`;
  const e = await openPostgresStore(url).then(
    () => assert.fail('opened'),
    (err: unknown) => err,
  );
  assert.equal((e as { code?: string }).code, 'CONFIG');
  assert.match((e as Error).message, /postgres:\/\/vmic:\*\*\*@127\.0\.0\.1:1\/vmic/);
  assertNoSecret(e);
});

test('an unparsable database URL is refused without quoting it', async () => {
  const e = await openPostgresStore(`postgres://vmic:${SECRET}@[bad/`).then(
    () => assert.fail('opened'),
    (err: unknown) => err,
  );
  assert.equal((e as { code?: string }).code, 'CONFIG');
  assertNoSecret(e);
});

test('redaction keeps everything but the secrets', () => {
  assert.equal(
    redactDatabaseUrl('postgresql://u:p%40ss@db.example:5433/vmic?sslmode=require'),
    'postgresql://u:***@db.example:5433/vmic?sslmode=require',
  );
  assert.equal(redactDatabaseUrl('postgres://db/vmic'), 'postgres://db/vmic');
});

test('int8 and numeric come back as numbers, refused past 2^53 rather than rounded', () => {
  const int8 = pgTypes.getTypeParser(20) as (text: string) => unknown;
  const numeric = pgTypes.getTypeParser(1700) as (text: string) => unknown;
  assert.equal(int8('68719476736'), 64 * 1024 ** 3);
  assert.equal(int8(String(Number.MAX_SAFE_INTEGER)), Number.MAX_SAFE_INTEGER);
  assert.throws(() => int8('9007199254740993'), /exceeds/);
  assert.equal(numeric('123456789012'), 123456789012);
  assert.equal(numeric('2.5'), 2.5);
  assert.throws(() => numeric('9007199254740993'), /exceeds/);
  // Other types keep pg's parsers: bytea is a Buffer, as better-sqlite3 gives a blob.
  const bytea = pgTypes.getTypeParser(17) as (text: string) => unknown;
  assert.deepEqual(bytea('\\x0102'), Buffer.from([1, 2]));
});
