import { createClient } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import * as schema from "./schema.ts";

/** The Drizzle database Signet uses everywhere, typed with the full schema. */
export type Database = LibSQLDatabase<typeof schema> & { $client: import("@libsql/client").Client };

export interface CreateDbOptions {
  /** `file:`, `libsql:`, `http:`/`https:` (or `ws:`/`wss:`) URL. */
  url: string;
  authToken?: string;
  /** How long a file database waits on a lock before failing, in ms. */
  busyTimeoutMs?: number;
}

const SUPPORTED = ["file:", "libsql:", "http:", "https:", "ws:", "wss:"];

/**
 * Opens the database. File databases get WAL (readers never wait for the writer), a busy timeout (several
 * connections and processes share the file) and foreign keys enforced.
 */
export async function createDb(options: CreateDbOptions): Promise<Database> {
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
  return drizzle(client, { schema }) as Database;
}

/** Whether a database URL points at a local file (as opposed to a libSQL server). */
export function isFileDatabaseUrl(url: string): boolean {
  return url.toLowerCase().startsWith("file:");
}
