/** Small SQL building blocks the services share. Plain Drizzle: they run on libSQL and on D1 alike. */
import { baseOf, type Database, preparedOn, type Statement } from "@signet/db";
import {
  desc,
  eq,
  fillPlaceholders,
  getTableColumns,
  type InferSelectModel,
  is,
  Placeholder,
  type Query,
  type SQL,
  sql,
} from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";

/** A value, or the placeholder of a statement built once (`prepareOnce`) that a later call binds. */
export type Bindable<T> = T | Placeholder;

/**
 * `INSERT INTO table SELECT <values> WHERE <condition>`: inserts the row only when `condition` holds at that
 * moment. Inside a `db.batch`, this is how a later statement depends on an earlier one without an interactive
 * transaction (which D1 does not have): the batch stays atomic, and whether the row went in shows in its result.
 * A placeholder among `values` stands for a value `bindRow` has already encoded for the driver.
 */
export function insertWhere<T extends SQLiteTable>(
  db: Database,
  table: T,
  values: T["$inferInsert"] | Record<string, Placeholder>,
  condition: SQL,
) {
  const given = values as Record<string, unknown>;
  const row = Object.entries(getTableColumns(table)).map(([name, column]) => {
    const value = given[name] ?? column.default ?? null;
    if (value === null) return sql`null`;
    return is(value, Placeholder) ? sql`${value}` : sql.param(value, column);
  });
  return db.insert(table).select(sql`select ${sql.join(row, sql`, `)} where ${condition}`);
}

/** One placeholder per column of `table`, named `<prefix>.<column>`: a row `insertWhere` binds later. */
export function placeholderRow(table: SQLiteTable, prefix: string): Record<string, Placeholder> {
  return Object.fromEntries(
    Object.keys(getTableColumns(table)).map((name) => [name, sql.placeholder(`${prefix}.${name}`)]),
  );
}

/**
 * `values` as the placeholders of `placeholderRow(table, prefix)` take them: each column's own driver encoding
 * (dates as numbers, booleans as integers), its default where the value is missing, and null for the rest.
 */
export function bindRow<T extends SQLiteTable>(
  table: T,
  prefix: string,
  values: T["$inferInsert"],
  into: Record<string, unknown>,
): void {
  const given = values as Record<string, unknown>;
  for (const [name, column] of Object.entries(getTableColumns(table))) {
    const value = given[name] ?? column.default ?? null;
    into[`${prefix}.${name}`] = value === null ? null : column.mapToDriverValue(value);
  }
}

/**
 * Statements whose SQL text Drizzle builds once, every value a placeholder; each call binds new values. For the
 * issuance path, where rebuilding the text from the query builders on every request was a fifth of its CPU
 * (BENCHMARKS.md, "API profile"). The text is the same for every SQLite driver, so one build serves them all.
 */
export function prepareOnce(build: (db: Database) => readonly { toSQL(): Query }[]) {
  let queries: readonly Query[] | undefined;
  return (db: Database, values: Record<string, unknown>): Statement[] => {
    queries ??= build(db).map((query) => query.toSQL());
    return queries.map((query) => ({ sql: query.sql, args: fillPlaceholders(query.params, values) }));
  };
}

/**
 * A Drizzle prepared query, built once per database (its SQL text and result mapping), for the reads every
 * issuance makes; `build` uses `placeholder(name)` for each value, which `.all(values)` / `.get(values)` fill.
 * A traced request's view of the database runs the same query through its own client.
 */
export function preparedPerDb<Q extends object>(build: (db: Database) => Q): (db: Database) => Q {
  const built = new WeakMap<Database, Q>();
  return (db) => {
    const base = baseOf(db);
    let query = built.get(base);
    if (!query) {
      query = build(base);
      built.set(base, query);
    }
    return preparedOn(query, db);
  };
}

/** A table whose rows are listed newest first: by creation time, then by id between rows made the same moment. */
type Dated = SQLiteTable & { id: SQLiteColumn; createdAt: SQLiteColumn };

/** The rows of `table` whose `owner` column is `ownerId`, newest first, at most `limit`. */
export async function ownedNewestFirst<T extends Dated>(
  db: Database,
  table: T,
  owner: SQLiteColumn,
  ownerId: string,
  limit: number,
): Promise<InferSelectModel<T>[]> {
  const rows = await db
    .select()
    .from(table as SQLiteTable)
    .where(eq(owner, ownerId))
    .orderBy(desc(table.createdAt), desc(table.id))
    .limit(limit);
  return rows as InferSelectModel<T>[];
}
