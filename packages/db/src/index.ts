export { type CreateDbOptions, createDb, type Database, isFileDatabaseUrl } from "./client.ts";
export { migrate, migrationsFolder } from "./migrate.ts";
export * from "./schema.ts";
