#!/usr/bin/env tsx
/**
 * The `signet` operator CLI: dispatch only; each command lives in its own module under cli/. Configuration comes
 * from the same environment variables (and env module) as the server. `signet upload` talks to a running server
 * instead (cli/upload.ts).
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { S3Error, SignerInputError } from "@signet/signer";
import { Command, CommanderError } from "commander";
import { BackupRefused } from "./backup/refused.ts";
import { backupCommand } from "./cli/backup.ts";
import { corsCommand } from "./cli/cors.ts";
import { doctorCommand } from "./cli/doctor.ts";
import { type CliIo, EXIT, EXIT_CODES_HELP, UsageError } from "./cli/io.ts";
import { migrateCommand } from "./cli/migrate.ts";
import { presignCommand } from "./cli/presign.ts";
import { reconcileCommand } from "./cli/reconcile.ts";
import { restoreCommand } from "./cli/restore.ts";
import { sweepCommand } from "./cli/sweep.ts";
import { runUpload, UPLOAD_USAGE } from "./cli/upload.ts";
import { webhooksCommand } from "./cli/webhooks.ts";
import { ConfigError } from "./env.ts";
import { redact } from "./redact.ts";

export interface CliOptions {
  /** Raw environment; defaults to the process environment. */
  env?: Record<string, string | undefined>;
  /** Result lines (stdout by default). */
  out?: (line: string) => void;
  /** Diagnostic lines (stderr by default). */
  err?: (line: string) => void;
  clock?: () => Date;
  /** Show progress on stderr (default: when stderr is a terminal). */
  interactive?: boolean;
}

function lines(write: (line: string) => void): (text: string) => void {
  return (text) => {
    for (const line of text.replace(/\n$/, "").split("\n")) write(line);
  };
}

/** The exit code and message for an error a command threw. */
function failure(error: unknown): { code: number; message: string } {
  if (error instanceof UsageError) return { code: EXIT.usage, message: error.message };
  if (error instanceof ConfigError) return { code: EXIT.config, message: error.message };
  if (error instanceof BackupRefused)
    return { code: EXIT.failed, message: `restore refused: ${error.message}` };
  if (error instanceof SignerInputError)
    return { code: EXIT.config, message: `${error.field}: ${error.rule}` };
  if (error instanceof S3Error) {
    return {
      code: EXIT.failed,
      message: `storage refused: ${error.code} (HTTP ${error.status}): ${error.message}`,
    };
  }
  // @libsql/client's errors (a libSQL server answering 401 to a wrong DATABASE_AUTH_TOKEN): their message says it all.
  if ((error as Error)?.name === "LibsqlError") {
    return { code: EXIT.failed, message: `database refused: ${redact((error as Error).message)}` };
  }
  const cause = (error as { cause?: { code?: string } })?.cause?.code;
  if (cause) return { code: EXIT.failed, message: `could not reach the storage or database: ${cause}` };
  return { code: EXIT.failed, message: redact(String((error as Error)?.stack ?? error)) };
}

/** Runs one CLI command; returns the exit code (see EXIT). */
export async function runCli(args: string[], options: CliOptions = {}): Promise<number> {
  if (args[0] === "upload") {
    // Ctrl-C pauses the upload (its parts so far stay on the server) instead of killing it mid-part.
    const pause = new AbortController();
    const onInterrupt = () => pause.abort();
    if (!options.env) process.once("SIGINT", onInterrupt);
    try {
      return await runUpload(args.slice(1), {
        env: options.env ?? process.env,
        out: options.out ?? ((line: string) => console.log(line)),
        pause: pause.signal,
      });
    } finally {
      process.off("SIGINT", onInterrupt);
    }
  }
  const io: CliIo = {
    env: options.env,
    out: options.out ?? ((line) => console.log(line)),
    err: options.err ?? ((line) => console.error(line)),
    clock: options.clock ?? (() => new Date()),
    interactive: options.interactive ?? process.stderr.isTTY === true,
    exitCode: EXIT.ok,
  };
  const program = new Command("signet")
    .description("Signet's operator command line; reads the same environment variables as the server")
    .addHelpText("after", `\nUploading a file to a running server:\n  ${UPLOAD_USAGE}\n${EXIT_CODES_HELP}`)
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({ writeOut: lines(io.out), writeErr: lines(io.err) });
  for (const command of [
    presignCommand(io),
    corsCommand(io),
    doctorCommand(io),
    reconcileCommand(io),
    sweepCommand(io),
    migrateCommand(io),
    backupCommand(io),
    restoreCommand(io),
    webhooksCommand(io),
  ]) {
    program.addCommand(command);
  }
  // Subcommands inherit neither exitOverride nor the output: set them on every level.
  const configure = (command: Command) => {
    command.exitOverride().configureOutput({ writeOut: lines(io.out), writeErr: lines(io.err) });
    command.commands.forEach(configure);
  };
  program.commands.forEach(configure);

  try {
    if (args.length === 0) {
      program.outputHelp();
      return EXIT.ok;
    }
    await program.parseAsync(args, { from: "user" });
    return io.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exitCode 0; everything else commander refuses is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const { code, message } = failure(error);
    io.err(`signet: ${message}`);
    return code;
  }
}

/** Whether this module is the process's entry: run directly, or through the package's `signet` bin symlink. */
function isEntry(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/**
 * Exits once stdout and stderr are flushed: writes to a pipe are asynchronous, and process.exit() at once cut a
 * long `--json` answer short (reconcile or restore with many findings).
 */
function exitFlushed(code: number): void {
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

if (isEntry()) {
  runCli(process.argv.slice(2)).then(exitFlushed, (error) => {
    console.error(redact(String(error?.stack ?? error)));
    exitFlushed(EXIT.failed);
  });
}
