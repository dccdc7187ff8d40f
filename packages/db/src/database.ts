/**
 * The driver-neutral database type. Services, Better Auth and the sweeper see only this, so the same code runs on
 * libSQL (a file, a server, or over HTTP) and on Cloudflare D1: whatever a driver adds beyond it (its client, its
 * result shapes) stays inside this package.
 */
import type { BatchItem, BatchResponse } from "drizzle-orm/batch";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import type * as schema from "./schema.ts";

/**
 * The Drizzle database Signet uses everywhere, typed with the full schema. `run()` results are driver-specific
 * (`unknown` here): read changed rows with `.returning()`. `batch` is atomic on every driver (D1 has no
 * interactive transactions, so there is no `transaction` to reach for).
 */
export type Database = Omit<BaseSQLiteDatabase<"async", unknown, typeof schema>, "transaction"> & {
  batch<U extends BatchItem<"sqlite">, T extends Readonly<[U, ...U[]]>>(batch: T): Promise<BatchResponse<T>>;
};

/** Which driver a database came from; migrations and closing differ per driver. */
export type Driver = "libsql" | "d1";

/** One statement as its driver takes it: SQL text with `?` and the values bound to them, in order. */
export interface Statement {
  sql: string;
  args: unknown[];
}

/** What a statement did: rows changed, and the rows it returned (`RETURNING`, `SELECT`) by column name. */
export interface StatementResult {
  rowsAffected: number;
  rows: Record<string, unknown>[];
}

interface Handle {
  driver: Driver;
  close(): void;
  batch(statements: readonly Statement[]): Promise<StatementResult[]>;
}

const handles = new WeakMap<object, Handle>();

/** Records how to close a database this package opened (internal to the factory). */
export function register<T extends object>(db: T, handle: Handle): T {
  handles.set(db, handle);
  return db;
}

/** The driver behind a database opened by `createDb`. */
export function driverOf(db: Database): Driver {
  const handle = handles.get(db);
  if (!handle) throw new Error("driverOf: this database was not opened by @signet/db's createDb");
  return handle.driver;
}

/**
 * Runs statements already built (SQL text and values) as one atomic batch, the way `db.batch` runs Drizzle
 * queries: for the hot paths that build their SQL text once instead of through Drizzle on every request.
 */
export function runBatch(db: Database, statements: readonly Statement[]): Promise<StatementResult[]> {
  const handle = handles.get(db);
  if (!handle) throw new Error("runBatch: this database was not opened by @signet/db's createDb");
  return handle.batch(statements);
}

/** Releases the database's connection (libSQL); a D1 binding has nothing to release. Safe to call twice. */
export function closeDb(db: Database): void {
  handles.get(db)?.close();
}
