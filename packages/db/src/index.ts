// Runtime-neutral: nothing here reads files. Migrations (which do) are `@signet/db/migrate`.
export {
  type CreateDbOptions,
  createDb,
  type D1Options,
  isFileDatabaseUrl,
  type LibsqlOptions,
} from "./client.ts";
export {
  closeDb,
  type Database,
  type Driver,
  driverOf,
  runBatch,
  type Statement,
  type StatementResult,
} from "./database.ts";
export * from "./schema.ts";
