// Runtime-neutral: nothing here reads files. Migrations (which do) are `@signet/db/migrate`.
export {
  type CreateDbOptions,
  createDb,
  type D1Options,
  isFileDatabaseUrl,
  type LibsqlOptions,
} from "./client.ts";
export {
  baseOf,
  closeDb,
  type Database,
  type Driver,
  driverOf,
  preparedOn,
  runBatch,
  type Statement,
  type StatementResult,
  throughClient,
} from "./database.ts";
export * from "./schema.ts";
