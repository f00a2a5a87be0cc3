import { SqliteAdapter, sql, type Kysely } from 'kysely';

/**
 * `site_images.sha256` becomes nullable: NULL, not '', for a HEPiX image signed by SHA-512
 * only until a fetch has verified its bytes and learned their SHA-256 (docs/design.md §3).
 * Existing '' placeholders become NULL.
 *
 * PostgreSQL drops the NOT NULL in place. SQLite cannot alter a column's constraints, so
 * there the table is rebuilt with the same columns, constraints and index, keeping the
 * rows, their ids and the autoincrement counter. Nothing references `site_images`.
 */
export async function up0009(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    await db.schema
      .alterTable('site_images')
      .alterColumn('sha256', (c) => c.dropNotNull())
      .execute();
  } else {
    await rebuildOnSqlite(db);
  }
  await db
    .updateTable('site_images' as never)
    .set({ sha256: null } as never)
    .where('sha256' as never, '=', '' as never)
    .execute();
}

async function rebuildOnSqlite(db: Kysely<unknown>): Promise<void> {
  const seq = await sql<{ seq: number }>`
    select seq from sqlite_sequence where name = 'site_images'`.execute(db);
  await db.schema
    .createTable('site_images_0009')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('subscription_id', 'integer', (c) =>
      c.notNull().references('subscriptions.id').onDelete('cascade'),
    )
    .addColumn('identifier', 'text', (c) => c.notNull())
    .addColumn('iri', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('version', 'text')
    .addColumn('os_family', 'text')
    .addColumn('os_name', 'text')
    .addColumn('os_version', 'text')
    .addColumn('arch', 'text')
    .addColumn('hypervisor', 'text')
    .addColumn('format', 'text')
    .addColumn('byte_size', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text')
    .addColumn('download_url', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('endorsed','withdrawn')`))
    .addColumn('first_sequence', 'integer', (c) => c.notNull())
    .addColumn('last_sequence', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('sha512', 'text')
    .addColumn('extra', 'text')
    .addColumn('expires_at', 'text')
    .addUniqueConstraint('site_images_subscription_identifier', ['subscription_id', 'identifier'])
    .execute();
  const columns = sql.raw(
    [
      'id',
      'subscription_id',
      'identifier',
      'iri',
      'title',
      'description',
      'version',
      'os_family',
      'os_name',
      'os_version',
      'arch',
      'hypervisor',
      'format',
      'byte_size',
      'sha256',
      'download_url',
      'status',
      'first_sequence',
      'last_sequence',
      'updated_at',
      'sha512',
      'extra',
      'expires_at',
    ]
      .map((c) => `"${c}"`)
      .join(', '),
  );
  await sql`insert into "site_images_0009" (${columns}) select ${columns} from "site_images"`.execute(
    db,
  );
  await db.schema.dropTable('site_images').execute();
  await db.schema.alterTable('site_images_0009').renameTo('site_images').execute();
  await db.schema.createIndex('site_images_sha256').on('site_images').column('sha256').execute();
  const kept = seq.rows[0]?.seq;
  if (kept !== undefined)
    await sql`update sqlite_sequence set seq = max(seq, ${kept}) where name = 'site_images'`.execute(
      db,
    );
}
