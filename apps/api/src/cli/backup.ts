/** `signet backup <file>`: a consistent snapshot of the database while the server keeps serving, with a manifest. */

import { access } from "node:fs/promises";
import { Command } from "commander";
import { databaseFilePath } from "../backup/sqlite.ts";
import { connectDatabase } from "../connect.ts";
import { type CliIo, EXIT, loadConfig, UsageError } from "./io.ts";

export function backupCommand(io: CliIo): Command {
  return new Command("backup")
    .description("write a consistent snapshot of the database (and <file>.manifest.json) while Signet serves")
    .argument("<file>", "the backup file to create (never overwritten)")
    .option("--json", "print { file, manifest, createdAt, schema, tables, users (count), sha256 } as JSON")
    .addHelpText(
      "after",
      `
A file: database is copied with VACUUM INTO; a libSQL server's tables are streamed into a new local file inside one
read transaction. Both are consistent snapshots taken while the server keeps serving. The manifest beside the file
holds the schema version, rows per table, each user's ready objects and bytes, the time and the file's SHA-256.
Cloudflare D1 is backed up by Cloudflare (Time Travel, \`wrangler d1 export\`): see docs/operations.md.`,
    )
    .action(async (target: string, flags: { json?: boolean }) => {
      const config = loadConfig(io);
      for (const path of [target, `${target}.manifest.json`]) {
        if (
          await access(path).then(
            () => true,
            () => false,
          )
        ) {
          throw new UsageError(`<file>: ${path} already exists; a backup never overwrites a file`);
        }
      }
      const { takeBackup } = await import("../backup/snapshot.ts");
      const { closeDb } = await import("@signet/db");
      const db = await connectDatabase(config);
      try {
        const manifest = await takeBackup({
          db,
          method: databaseFilePath(config.databaseUrl) ? "vacuum-into" : "copy-tables",
          target,
          clock: io.clock,
        });
        if (flags.json) {
          // The per-user list stays in the manifest file: it can be long.
          const { users, ...summary } = manifest;
          io.out(
            JSON.stringify({
              file: target,
              manifest: `${target}.manifest.json`,
              ...summary,
              users: users.length,
            }),
          );
        } else {
          const rows = Object.values(manifest.tables).reduce((a, b) => a + b, 0);
          const files = manifest.users.reduce((a, u) => a + u.objects, 0);
          io.out(
            `Backed up ${rows} rows in ${Object.keys(manifest.tables).length} tables (${manifest.users.length} users, ${files} ready files) to ${target}.`,
          );
          io.out(`Schema: ${manifest.schema.tag ?? "unknown"} (${manifest.schema.migrations} migrations).`);
          io.out(`Manifest: ${target}.manifest.json (sha256 ${manifest.sha256}).`);
        }
        io.exitCode = EXIT.ok;
      } finally {
        closeDb(db);
      }
    });
}
