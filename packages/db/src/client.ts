/**
 * The one way to open Signet's database: libSQL by URL (a file or a server; over HTTP with the web client where
 * the runtime has no native one) or a Cloudflare D1 binding. Core code calls `createDb` and never imports a driver.
 */
import type { D1Database } from "@cloudflare/workers-types";
import { type Client, createClient, type InStatement } from "@libsql/client";
import { drizzle as drizzleD1 } from "drizzle-orm/d1";
import { drizzle as drizzleLibsql } from "drizzle-orm/libsql";
import { type Database, register } from "./database.ts";
import * as schema from "./schema.ts";

/** A libSQL database by URL. */
export interface LibsqlOptions {
  /** `file:`, `libsql:`, `http:`/`https:` (or `ws:`/`wss:`) URL. On Workers only the remote schemes work. */
  url: string;
  authToken?: string;
  /** How long a file database waits on a lock before failing, in ms. */
  busyTimeoutMs?: number;
}

/** A Cloudflare D1 database: the binding a Worker receives (or miniflare's proxy of it in Node). */
export interface D1Options {
  d1: D1Database;
}

export type CreateDbOptions = LibsqlOptions | D1Options;

const SUPPORTED = ["file:", "libsql:", "http:", "https:", "ws:", "wss:"];

/**
 * Opens the database. File databases get WAL (readers never wait for the writer), a busy timeout (several
 * connections and processes share the file) and foreign keys enforced; D1 enforces foreign keys itself.
 *
 * `@libsql/client` picks its implementation by runtime (its package exports): the native one on Node, Bun and
 * Deno, the web one (HTTP, no files) on workerd, so the same call serves `DATABASE_URL=libsql://…` on Workers.
 */
export async function createDb(options: CreateDbOptions): Promise<Database> {
  if ("d1" in options) {
    if (!options.d1 || typeof options.d1.prepare !== "function") {
      throw new Error("createDb: d1 must be a D1 database binding");
    }
    const d1 = options.d1;
    return register(drizzleD1(d1, { schema }), {
      driver: "d1",
      close: () => {},
      batch: async (client, statements) => {
        const binding = client as D1Database;
        const results = await binding.batch(statements.map((s) => binding.prepare(s.sql).bind(...s.args)));
        return results.map((r) => ({
          rowsAffected: r.meta.changes ?? 0,
          rows: (r.results ?? []) as Record<string, unknown>[],
        }));
      },
    });
  }
  const { url, authToken } = options;
  if (typeof url !== "string" || url.length === 0) throw new Error("createDb: url is required");
  const scheme = url.slice(0, url.indexOf(":") + 1).toLowerCase();
  if (!SUPPORTED.includes(scheme)) {
    throw new Error(`createDb: url must start with one of ${SUPPORTED.join(", ")} (got "${scheme || url}")`);
  }
  const isFile = scheme === "file:";
  const client = createClient({
    url,
    ...(authToken ? { authToken } : {}),
    ...(isFile ? { timeout: options.busyTimeoutMs ?? 5000 } : {}),
  });
  if (isFile) {
    // journal_mode is stored in the file; foreign_keys and busy_timeout are per connection, which libsql opens
    // with foreign keys on and the `timeout` above, so the pragmas here only make the intent explicit.
    await client.execute("PRAGMA journal_mode = WAL");
    await client.execute("PRAGMA foreign_keys = ON");
    await client.execute("PRAGMA synchronous = NORMAL");
  }
  let closed = false;
  const db = drizzleLibsql(client, { schema });
  return register(db, {
    driver: "libsql",
    close: () => {
      if (closed) return;
      closed = true;
      client.close();
    },
    // Through the client it is given (`db.$client`, or a view's), so whatever wraps the client (observability)
    // sees these batches as it sees Drizzle's.
    batch: async (through, statements) => {
      const results = await (through as Client).batch(statements as InStatement[], "write");
      return results.map((r) => ({
        rowsAffected: r.rowsAffected,
        rows: r.rows as unknown as Record<string, unknown>[],
      }));
    },
  });
}

/** Whether a database URL points at a local file (as opposed to a libSQL server). */
export function isFileDatabaseUrl(url: string): boolean {
  return url.toLowerCase().startsWith("file:");
}
