/** `signet reconcile [--fix]`: quota drift, objects without rows and rows without objects. */
import { Command } from "commander";
import type { Config } from "../env.ts";
import type { ReconcileResult, StorageFindingKind } from "../services/reconcile.ts";
import { type CliIo, EXIT, loadConfig, progressLine, table } from "./io.ts";
import { withServerDeps } from "./server-deps.ts";

const KIND: Record<StorageFindingKind, string> = {
  "orphan-object": "object without row",
  "unknown-object": "object Signet does not know (left alone)",
  "missing-file-object": "file row without object",
  "missing-profile-image": "profile image without object",
};

export function reconcileCommand(io: CliIo): Command {
  return new Command("reconcile")
    .description("report (and with --fix repair) quota drift, objects without rows and rows without objects")
    .option("--fix", "repair what was found, auditing each repair")
    .option("--json", "print { clean, fixed, quota: [...], storage: [...], objectsScanned } as JSON")
    .addHelpText(
      "after",
      `
Repairs with --fix: a user's reserved bytes are set to the sum of their pending and ready files; objects under
u/, staging/, signet-doctor/ (older than an hour) and profile keys that no row references are deleted; ready files
whose object is gone are marked deleted and their quota released; a profile image whose object is gone is dropped.
Objects outside these layouts are only listed. Exit 1 while anything is left to repair.`,
    )
    .action(async (flags: { fix?: boolean; json?: boolean }) => {
      await runReconcile(io, loadConfig(io), flags);
    });
}

/**
 * Reconciles the bucket with the database, prints the result as `signet reconcile` does (text or `--json`, with
 * `extra` fields in the JSON) and sets the exit code: `signet reconcile` and `signet restore` end the same way.
 */
export async function runReconcile(
  io: CliIo,
  config: Config,
  flags: { fix?: boolean; json?: boolean },
  extra: Record<string, unknown> = {},
): Promise<void> {
  const { reconcile } = await import("../services/reconcile.ts");
  const progress = progressLine(io, flags.json === true);
  const result = await withServerDeps(config, io, (deps) =>
    reconcile(deps, {
      fix: flags.fix === true,
      onProgress: (text) => progress.update(`reconcile: ${text}…`),
    }),
  );
  progress.done();
  const clean = await printReconcile(
    io,
    result,
    { fix: flags.fix === true, json: flags.json === true },
    extra,
  );
  io.exitCode = clean ? EXIT.ok : EXIT.problems;
}

/** Prints a reconcile result (text or `--json`); returns whether it is clean. */
async function printReconcile(
  io: CliIo,
  result: ReconcileResult,
  flags: { fix: boolean; json: boolean },
  extra: Record<string, unknown> = {},
): Promise<boolean> {
  const { reconcileClean } = await import("../services/reconcile.ts");
  const clean = reconcileClean(result);
  if (flags.json) {
    io.out(JSON.stringify({ ...extra, clean, fixed: flags.fix, ...result }, null, 2));
  } else {
    const state = (fixed: boolean) => (fixed ? "fixed" : flags.fix ? "not fixed" : "found");
    io.out(`Scanned ${result.objectsScanned} objects.`);
    if (result.quota.length === 0) io.out("Quota: every user's reserved bytes match their files.");
    else {
      io.out("Quota drift:");
      const rows = [["  user", "reserved", "live files", ""]];
      for (const d of result.quota)
        rows.push([`  ${d.userId}`, String(d.reservedBytes), String(d.liveBytes), state(d.fixed)]);
      for (const line of table(rows)) io.out(line);
    }
    if (result.storage.length === 0) io.out("Storage: every object has its row and every row its object.");
    else {
      io.out("Storage:");
      const rows = result.storage.map((f) => [
        `  ${KIND[f.kind]}`,
        f.key,
        f.filename ?? "",
        f.kind === "unknown-object" ? "" : state(f.fixed),
      ]);
      for (const line of table(rows)) io.out(line);
    }
    if (!clean) io.out(flags.fix ? "Some problems are left." : "Run `signet reconcile --fix` to repair.");
  }
  return clean;
}
