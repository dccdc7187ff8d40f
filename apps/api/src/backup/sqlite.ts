/**
 * The few raw libSQL calls a backup needs and Drizzle does not offer (VACUUM INTO, a read transaction, copying
 * rows of any table). They use the libSQL client under the Drizzle database, which `@signet/db`'s `createDb`
 * opens; D1 has no such client, and its backups are Cloudflare's (docs/operations.md).
 */
import { fileURLToPath } from "node:url";
import { type Database, driverOf } from "@signet/db";

export type Value = null | string | number | bigint | ArrayBuffer | Uint8Array;

export interface Rows {
  columns: string[];
  rows: ArrayLike<Value>[];
}

export interface SqlRunner {
  execute(statement: string | { sql: string; args: Value[] }): Promise<Rows>;
}

export interface LibsqlClient extends SqlRunner {
  batch(statements: { sql: string; args: Value[] }[], mode: "write"): Promise<unknown>;
  transaction(mode: "read" | "write"): Promise<SqlRunner & { commit(): Promise<void>; close(): void }>;
}

/** The libSQL client under a database opened by `createDb`. */
export function libsqlClient(db: Database): LibsqlClient {
  if (driverOf(db) !== "libsql")
    throw new Error("backups need a libSQL database (D1: see docs/operations.md)");
  return (db as unknown as { $client: LibsqlClient }).$client;
}

/** The file behind a `file:` database URL (`file:./data/x.db`, `file:///abs/x.db`), or null for a server URL. */
export function databaseFilePath(url: string): string | null {
  if (!url.toLowerCase().startsWith("file:")) return null;
  const path = url.slice("file:".length).split("?")[0] ?? "";
  if (path === "" || path.startsWith(":memory:")) return null;
  return path.startsWith("//") ? fileURLToPath(url.split("?")[0]!) : path;
}

/** A string as an SQL literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A name as an SQL identifier. */
export function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The first column of the first row. */
export async function scalar(runner: SqlRunner, statement: string): Promise<Value | undefined> {
  return (await runner.execute(statement)).rows[0]?.[0];
}

// The tables FTS5 keeps beside a virtual table `v` as `v_<suffix>`: internal, remade when `v` is created.
const SHADOW_SUFFIXES = new Set(["data", "idx", "content", "docsize", "config"]);

/**
 * The tables of a database's schema (`SELECT type, name, sql FROM sqlite_master` rows) that hold its data: every
 * table but the shadow tables of virtual ones, which SQLite makes and fills itself. `virtual` names the virtual
 * tables (the search index), whose rows a copy must insert with their rowids.
 */
export function dataTables(objects: Rows["rows"]): { tables: Rows["rows"]; virtual: Set<string> } {
  const virtual = new Set(
    objects.filter((o) => /^CREATE VIRTUAL TABLE/i.test(String(o[2] ?? ""))).map((o) => String(o[1])),
  );
  const shadow = (name: string) =>
    [...virtual].some((v) => name.startsWith(`${v}_`) && SHADOW_SUFFIXES.has(name.slice(v.length + 1)));
  return { tables: objects.filter((o) => o[0] === "table" && !shadow(String(o[1]))), virtual };
}
