import pg from 'pg';
import { VmicError } from '../../errors/index.ts';

/** PostgreSQL type oids whose default parsing (text) differs from what SQLite gives. */
const INT8 = 20;
const NUMERIC = 1700;

/**
 * A bigint column (every SQLite `integer`, pg-schema-types.ts) or `count(*)` as a JS number,
 * as SQLite gives it. Refused beyond 2^53 rather than rounded (threat: a byte size or a
 * sequence silently off by one after a round trip through a float).
 */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n))
    throw new VmicError('INTERNAL', `a database integer exceeds 2^53 - 1: ${text}`);
  return n;
}

/**
 * `numeric`, which PostgreSQL returns for `sum()` of a bigint column: a number, like
 * SQLite's, refused when an integral value is beyond 2^53 (as for int8). A fractional value
 * (`avg()`) is a float on SQLite too.
 */
function parseNumeric(text: string): number {
  const n = Number(text);
  if (Number.isInteger(n) && !Number.isSafeInteger(n))
    throw new VmicError('INTERNAL', `a database number exceeds 2^53 - 1: ${text}`);
  return n;
}

/**
 * The pool's own type parsers (not pg's process-wide registry, which other code sharing
 * the `pg` module would see changed). `bytea` keeps pg's default, a Buffer, as
 * better-sqlite3 returns for a blob.
 */
export const pgTypes: { getTypeParser: typeof pg.types.getTypeParser } = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown => {
    if (format !== 'binary' && oid === INT8) return parseInt8;
    if (format !== 'binary' && oid === NUMERIC) return parseNumeric;
    return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};
