import { CompiledQuery, type Compilable } from 'kysely';
import type { Database } from './schema.ts';
import type { Tx } from './write-transaction.ts';

/**
 * Writes of many rows in one transaction (an import applying 10,000 images) with kysely
 * building each statement once instead of once per row: building and compiling a query
 * per row was a third of a large import. The statements stay kysely's, compiled by the
 * store's dialect (the same code runs on PostgreSQL, where multi-row VALUES, `in` lists
 * and numbered placeholders are also standard); only the parameters change from row to
 * row, and the driver keeps the prepared statement for the same SQL text
 * (statement-cache.ts).
 */

/** Placeholder values a template is compiled with, recognised again in its parameters. */
const slot = (i: number): string => `\u0000vmic-slot:${i}\u0000`;

/** SQLite allows 32,766 parameters per statement and PostgreSQL 65,535; well below both. */
const MAX_PARAMETERS = 8000;
const MAX_ROWS = 500;

/** `build` compiled once with a slot for every value; the run gives the values in slot order. */
function template(query: Compilable, slots: number): string {
  const compiled = query.compile();
  const ok =
    compiled.parameters.length === slots && compiled.parameters.every((p, i) => p === slot(i));
  // A dialect that inlined a value or reordered parameters would bind values to the wrong
  // columns: refuse to run rather than write misplaced data.
  if (!ok) throw new Error('bulk-write: the compiled statement does not take its slots in order');
  return compiled.sql;
}

type Table = keyof Database;
export type RowValues = Record<string, unknown>;

/** The defined columns of a row, as kysely reads a row: an undefined value is no column. */
function columnsOf(row: RowValues): string[] {
  const columns: string[] = [];
  for (const k in row) if (row[k] !== undefined) columns.push(k);
  return columns;
}

/** Whether `row` defines exactly `columns`, in that order (no allocation: runs per row). */
function hasColumns(row: RowValues, columns: readonly string[]): boolean {
  let n = 0;
  for (const k in row) {
    if (row[k] === undefined) continue;
    if (columns[n++] !== k) return false;
  }
  return n === columns.length;
}

/** Runs of consecutive rows with the same columns (in practice one run: rows of one source). */
function byColumns<T>(items: readonly T[], rowOf: (item: T) => RowValues): [string[], T[]][] {
  const runs: [string[], T[]][] = [];
  let current: [string[], T[]] | undefined;
  for (const item of items) {
    if (current === undefined || !hasColumns(rowOf(item), current[0]))
      runs.push((current = [columnsOf(rowOf(item)), []]));
    current[1].push(item);
  }
  return runs;
}

/**
 * Inserts `rows` (values in the order of `columns`; every column given, `null` for none)
 * with multi-row statements, as many rows per statement as fit.
 */
export async function insertRows(
  tx: Tx,
  table: Table,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
): Promise<void> {
  const width = columns.length;
  const perStatement = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMETERS / width)));
  const sqlFor = new Map<number, string>();
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    let sql = sqlFor.get(chunk.length);
    if (sql === undefined) {
      const slots = chunk.map((_, r) =>
        Object.fromEntries(columns.map((c, k) => [c, slot(r * width + k)])),
      );
      // Only the statement's shape: the values are bound below, column by column.
      sql = template(tx.insertInto(table).values(slots), chunk.length * width);
      sqlFor.set(chunk.length, sql);
    }
    const parameters: unknown[] = [];
    for (const row of chunk) {
      if (row.length !== width) throw new Error('bulk-write: a row does not match its columns');
      for (const value of row) parameters.push(value);
    }
    await tx.executeQuery(CompiledQuery.raw(sql, parameters));
  }
}

/** `update table set … where id = ?` for each row, compiled once per set of columns. */
export async function updateRowsById(
  tx: Tx,
  table: Table,
  rows: readonly { id: number; values: RowValues }[],
): Promise<void> {
  for (const [columns, group] of byColumns(rows, (r) => r.values)) {
    const set = Object.fromEntries(columns.map((c, k) => [c, slot(k)]));
    const sql = template(
      tx
        .updateTable(table)
        // The table is only known as one of the schema's; callers pass tables keyed by `id`.
        .set(set as never)
        .where('id' as never, '=', slot(columns.length) as never),
      columns.length + 1,
    );
    for (const { id, values } of group)
      await tx.executeQuery(CompiledQuery.raw(sql, [...columns.map((c) => values[c]), id]));
  }
}

/** Runs `run` over `ids` in `in (…)` lists short enough for every dialect. */
export async function forIdChunks(
  ids: readonly number[],
  run: (chunk: number[]) => Promise<unknown>,
): Promise<void> {
  for (let start = 0; start < ids.length; start += MAX_ROWS)
    await run(ids.slice(start, start + MAX_ROWS));
}
