/** Small SQL building blocks the services share. Plain Drizzle: they run on libSQL and on D1 alike. */
import type { Database } from "@signet/db";
import { getTableColumns, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/**
 * `INSERT INTO table SELECT <values> WHERE <condition>`: inserts the row only when `condition` holds at that
 * moment. Inside a `db.batch`, this is how a later statement depends on an earlier one without an interactive
 * transaction (which D1 does not have): the batch stays atomic, and whether the row went in shows in its result.
 */
export function insertWhere<T extends SQLiteTable>(
  db: Database,
  table: T,
  values: T["$inferInsert"],
  condition: SQL,
) {
  const given = values as Record<string, unknown>;
  const row = Object.entries(getTableColumns(table)).map(([name, column]) => {
    const value = given[name] ?? column.default ?? null;
    return value === null ? sql`null` : sql.param(value, column);
  });
  return db.insert(table).select(sql`select ${sql.join(row, sql`, `)} where ${condition}`);
}
