import type SqliteDatabase from 'better-sqlite3';

/** Statements kept prepared; more distinct SQL texts than this are re-prepared as needed. */
const MAX_STATEMENTS = 512;

/**
 * The connection's prepared statements, by SQL text. kysely compiles each query to the same
 * text with `?` placeholders whatever the values, so a gate decision or an image row of an
 * import reuses the statement prepared for the previous one instead of parsing and
 * planning it again (preparing was the largest single cost of a gate decision).
 *
 * Bounded (least recently used out): SQL texts built with a varying number of
 * placeholders (`in (?, ?, …)`) must not grow the cache without limit. SQLite re-prepares a
 * kept statement by itself after a schema change, so a migration cannot leave a stale plan.
 */
export class StatementCache {
  readonly #statements = new Map<string, SqliteDatabase.Statement>();

  constructor(private readonly sqlite: SqliteDatabase.Database) {}

  get(sql: string): SqliteDatabase.Statement {
    const kept = this.#statements.get(sql);
    if (kept) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.#statements.delete(sql);
      this.#statements.set(sql, kept);
      return kept;
    }
    const stmt = this.sqlite.prepare(sql);
    if (this.#statements.size >= MAX_STATEMENTS) {
      const oldest = this.#statements.keys().next().value;
      if (oldest !== undefined) this.#statements.delete(oldest);
    }
    this.#statements.set(sql, stmt);
    return stmt;
  }
}
