import { test } from 'node:test';
import assert from 'node:assert/strict';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Migration } from 'kysely';
import { migrations } from '../../catalog/store/migrations.ts';

// Migration 0011 adds the blob references beside the inline columns and moves nothing: a
// version published before keeps its bytes in the row, read as they are (catalog-versions.ts).
test('migration 0011 keeps versions stored inline, with no blob references', async () => {
  const sqlite = new SqliteDatabase(':memory:');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) });
  const upTo = (last: string) => ({
    getMigrations: (): Promise<Record<string, Migration>> =>
      Promise.resolve(
        Object.fromEntries(Object.entries(migrations).filter(([name]) => name <= last)),
      ),
  });
  try {
    assert.equal(
      (await new Migrator({ db, provider: upTo('0010') }).migrateToLatest()).error,
      undefined,
    );
    sqlite
      .prepare(
        `insert into endorsers (name, title, certificate_pem, chain_pem, sealed_key, subject, issuer, created_at)
         values ('e', 'E', '', '', x'00', 'CN=e', 'CN=ca', 'now')`,
      )
      .run();
    sqlite
      .prepare(
        `insert into catalog_versions (endorser_id, sequence, issued_at, expires_at, image_count,
           nquads, turtle, jsonld, p7m, p7s, content_sha256, image_list)
         values (1, 1, 'i', 'x', 0, 'nq', 'ttl', '{}', x'3082', x'3083', 'h', x'4c')`,
      )
      .run();
    assert.equal(
      (await new Migrator({ db, provider: upTo('9999') }).migrateToLatest()).error,
      undefined,
    );
    const row = sqlite.prepare('select * from catalog_versions').get() as Record<string, unknown>;
    assert.equal(row.nquads, 'nq');
    assert.deepEqual(row.p7m, Buffer.from([0x30, 0x82]));
    for (const file of ['nquads', 'turtle', 'jsonld', 'p7m', 'p7s', 'image_list']) {
      assert.equal(row[`${file}_sha256`], null, file);
      assert.equal(row[`${file}_size`], null, file);
    }
  } finally {
    await db.destroy();
  }
});
