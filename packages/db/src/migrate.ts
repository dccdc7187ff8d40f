/**
 * Applies the committed drizzle-kit migrations (Node, Bun and Deno: it reads them from disk). The same files serve
 * libSQL and D1; on Cloudflare, `wrangler d1 migrations apply` reads them too (see apps/api/wrangler.jsonc).
 */
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import type { drizzle as drizzleD1 } from "drizzle-orm/d1";
import { migrate as d1Migrate } from "drizzle-orm/d1/migrator";
import type { LibSQLDatabase } from "drizzle-orm/libsql";
import { migrate as libsqlMigrate } from "drizzle-orm/libsql/migrator";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { type Database, driverOf } from "./database.ts";

/** The committed drizzle-kit migrations, located from this module so any cwd (and Bun or Deno) finds them. */
export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

const ATTEMPTS = 5;

/** Whether the newest committed migration is recorded as applied. */
async function upToDate(db: Database): Promise<boolean> {
  const newest = Math.max(0, ...readMigrationFiles({ migrationsFolder }).map((m) => m.folderMillis));
  try {
    const row = await db.get<{ applied: number | null }>(
      sql`SELECT max(created_at) AS applied FROM __drizzle_migrations`,
    );
    return Number(row?.applied ?? 0) >= newest;
  } catch {
    return false;
  }
}

async function applyOnce(db: Database): Promise<void> {
  // Each driver's migrator runs the missing migrations atomically: libSQL in a transaction, D1 in one batch.
  if (driverOf(db) === "d1") {
    await d1Migrate(db as unknown as ReturnType<typeof drizzleD1>, { migrationsFolder });
  } else {
    await libsqlMigrate(db as unknown as LibSQLDatabase<Record<string, never>>, { migrationsFolder });
  }
}

/**
 * Applies every migration not yet applied. Idempotent: running it twice changes nothing.
 *
 * Safe when several instances start against one database at once. The migrator reads what is applied and then
 * runs the missing migrations atomically, so a concurrent starter that read the same state fails on "table
 * already exists" (or on the lock) and rolls back. That failure is retried: once the winner has committed, the
 * retry finds nothing left to do.
 */
export async function migrate(db: Database): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await applyOnce(db);
      return;
    } catch (error) {
      if (await upToDate(db)) return;
      if (attempt >= ATTEMPTS) throw error;
    }
  }
}
