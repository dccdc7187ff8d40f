/**
 * `signet restore <file> [--fix]`: puts a backup in place of a stopped server's database, then reconciles it with
 * the bucket: objects uploaded after the backup have no row, files deleted after it have no object.
 */
import { Command } from "commander";
import { databaseFilePath } from "../backup/sqlite.ts";
import { type CliIo, loadConfig, UsageError } from "./io.ts";
import { runReconcile } from "./reconcile.ts";

export function restoreCommand(io: CliIo): Command {
  return new Command("restore")
    .description(
      "restore a `signet backup` into the stopped server's database, then reconcile with the bucket",
    )
    .argument("<file>", "a backup made by `signet backup` (its manifest beside it)")
    .option("--fix", "settle the drift found: delete objects without a row, release files without an object")
    .option("--json", "print { restored, clean, fixed, quota, storage, objectsScanned } as JSON")
    .addHelpText(
      "after",
      `
Refused, changing nothing, while a server runs on the database, when the file does not match its manifest or fails
SQLite's integrity check, or when it comes from a newer Signet. The database replaced is kept beside it as
<db>.before-restore-<time>. Nothing is deleted from the bucket without --fix. Exit 1 while drift is left.`,
    )
    .action(async (backup: string, flags: { fix?: boolean; json?: boolean }) => {
      const config = loadConfig(io);
      const databaseFile = databaseFilePath(config.databaseUrl);
      if (!databaseFile) {
        throw new UsageError(
          "DATABASE_URL: restore writes a file: database; load a backup into a libSQL server or Turso as docs/operations.md shows",
        );
      }
      const { restoreBackup } = await import("../backup/restore.ts");
      const restored = await restoreBackup({ backup, databaseFile, clock: io.clock });
      if (!flags.json) {
        io.out(
          `Restored ${backup} (taken ${restored.manifest.createdAt}, schema ${restored.manifest.schema.tag ?? "unknown"}) into ${databaseFile}.`,
        );
        if (restored.previous) io.out(`The database it replaced is kept at ${restored.previous}.`);
      }
      await runReconcile(io, config, flags, {
        restored: { backup, databaseFile, previous: restored.previous, manifest: restored.manifest },
      });
    });
}
