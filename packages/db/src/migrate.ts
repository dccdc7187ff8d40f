import { fileURLToPath } from "node:url";
import { migrate as drizzleMigrate } from "drizzle-orm/libsql/migrator";
import type { Database } from "./client.ts";

/** The committed drizzle-kit migrations, located from this module so any cwd (and Bun or Deno) finds them. */
export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));

/** Applies every migration not yet applied. Idempotent: running it twice changes nothing. */
export async function migrate(db: Database): Promise<void> {
  await drizzleMigrate(db, { migrationsFolder });
}
