/** `signet migrate`: applies the database migrations (the server also does this at start-up). */
import { closeDb } from "@signet/db";
import { Command } from "commander";
import { type CliIo, EXIT, loadConfig } from "./io.ts";

export function migrateCommand(io: CliIo): Command {
  return new Command("migrate")
    .description("apply the database migrations to DATABASE_URL")
    .action(async () => {
      const config = loadConfig(io);
      const { openDatabase } = await import("../start.ts");
      const db = await openDatabase(config);
      closeDb(db);
      io.out("migrations applied");
      io.exitCode = EXIT.ok;
    });
}
