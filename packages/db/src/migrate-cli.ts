// `pnpm --filter @signet/db db:migrate`: applies migrations to DATABASE_URL (default: the dev database).
import { createDb } from "./client.ts";
import { migrate } from "./migrate.ts";

const url = process.env.DATABASE_URL ?? "file:./data/signet.db";
const authToken = process.env.DATABASE_AUTH_TOKEN;
const db = await createDb({ url, ...(authToken ? { authToken } : {}) });
await migrate(db);
db.$client.close();
console.log("migrations applied");
