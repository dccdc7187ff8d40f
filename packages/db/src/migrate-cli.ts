// `pnpm --filter @signet/db db:migrate`: applies migrations to DATABASE_URL. The app's own `signet migrate`
// (root `pnpm db:migrate`) also creates the data directory; this one expects the database to be reachable.
import { createDb } from "./client.ts";
import { closeDb } from "./database.ts";
import { migrate } from "./migrate.ts";

const url = process.env.DATABASE_URL ?? "file:./data/signet.db";
const authToken = process.env.DATABASE_AUTH_TOKEN;
try {
  const db = await createDb({ url, ...(authToken ? { authToken } : {}) });
  await migrate(db);
  closeDb(db);
  console.log("migrations applied");
} catch (error) {
  const where = url.startsWith("file:") ? `${url} (does its directory exist?)` : url.replace(/\?.*$/, "");
  console.error(`DATABASE_URL: cannot migrate ${where}: ${(error as Error).message}`);
  process.exitCode = 1;
}
