import { fileURLToPath } from "node:url";
import { migrate as drizzleMigrate } from "drizzle-orm/libsql/migrator";
import { readMigrationFiles } from "drizzle-orm/migrator";
import type { Database } from "./client.ts";

/** The committed drizzle-kit migrations, located from this module so any cwd (and Bun or Deno) finds them. */
export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

const ATTEMPTS = 5;

/** Whether the newest committed migration is recorded as applied. */
async function upToDate(db: Database): Promise<boolean> {
  const newest = Math.max(0, ...readMigrationFiles({ migrationsFolder }).map((m) => m.folderMillis));
  try {
    const result = await db.$client.execute("SELECT max(created_at) FROM __drizzle_migrations");
    return Number(result.rows[0]?.[0] ?? 0) >= newest;
  } catch {
    return false;
  }
}

/**
 * Applies every migration not yet applied. Idempotent: running it twice changes nothing.
 *
 * Safe when several instances start against one database at once. Drizzle reads what is applied and then runs
 * the missing migrations in one transaction, so a concurrent starter that read the same state fails on
 * "table already exists" (or on the lock) and its transaction rolls back. That failure is retried: once the
 * winner has committed, the retry finds nothing left to do.
 */
export async function migrate(db: Database): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await drizzleMigrate(db, { migrationsFolder });
      return;
    } catch (error) {
      if (await upToDate(db)) return;
      if (attempt >= ATTEMPTS) throw error;
    }
  }
}
