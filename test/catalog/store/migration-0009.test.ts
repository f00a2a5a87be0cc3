import { test } from 'node:test';
import assert from 'node:assert/strict';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql, type Migration } from 'kysely';
import { migrations } from '../../../catalog/store/migrations.ts';

// site_images.sha256 becomes nullable on an existing store: '' placeholders turn into NULL,
// every other row, id and the autoincrement counter stay as they were.
test('migration 0009 turns the SHA-256 placeholder into NULL and keeps the rows', async () => {
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
    const before = await new Migrator({ db, provider: upTo('0008') }).migrateToLatest();
    assert.equal(before.error, undefined);
    sqlite
      .prepare(
        `insert into subscriptions (name, url, expect_subject, enabled, created_at)
         values ('s', 'http://x/', 'CN=x', 1, '2024-01-01T00:00:00Z')`,
      )
      .run();
    const insert = sqlite.prepare(
      `insert into site_images (id, subscription_id, identifier, iri, title, byte_size, sha256,
         sha512, download_url, status, first_sequence, last_sequence, updated_at)
       values (?, 1, ?, 'urn:x', 't', 3, ?, ?, 'http://x/i', 'endorsed', 1, 1, 'now')`,
    );
    insert.run(7, 'known', 'a'.repeat(64), null);
    insert.run(9, 'hepix', '', 'b'.repeat(128));
    sqlite.prepare('delete from site_images where id = 9').run();
    insert.run(8, 'hepix', '', 'b'.repeat(128));

    const after = await new Migrator({ db, provider: upTo('9999') }).migrateToLatest();
    assert.equal(after.error, undefined);
    const rows = sqlite
      .prepare('select id, identifier, sha256, sha512 from site_images order by id')
      .all();
    assert.deepEqual(rows, [
      { id: 7, identifier: 'known', sha256: 'a'.repeat(64), sha512: null },
      { id: 8, identifier: 'hepix', sha256: null, sha512: 'b'.repeat(128) },
    ]);
    // A new row does not reuse an id handed out before the rebuild.
    const next = await sql<{ id: number }>`insert into site_images (subscription_id, identifier,
      iri, title, byte_size, download_url, status, first_sequence, last_sequence, updated_at)
      values (1, 'new', 'urn:y', 't', 1, 'http://x/j', 'endorsed', 1, 1, 'now') returning id`.execute(
      db,
    );
    assert.equal(next.rows[0]?.id, 10);
    const indexes = sqlite
      .prepare(`select name from sqlite_master where type = 'index' and tbl_name = 'site_images'`)
      .all()
      .map((r) => (r as { name: string }).name);
    assert.ok(indexes.includes('site_images_sha256'));
    // The unique (subscription, identifier) constraint came along.
    assert.throws(() => insert.run(11, 'known', null, null), /UNIQUE/);
  } finally {
    await db.destroy();
  }
});
