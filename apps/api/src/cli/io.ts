/**
 * What every command shares: where output goes, the exit codes, configuration, and a progress line that only a
 * terminal sees.
 */
import { type Config, parseEnv, readEnv } from "../env.ts";

/** Exit codes a script can rely on (also in `signet --help` and the README). */
export const EXIT = {
  /** Done; nothing wrong found. */
  ok: 0,
  /** Done, and problems were found: a doctor check failed, or reconcile (or restore) found or left something to repair. */
  problems: 1,
  /** Bad command line: unknown command or option, a missing or invalid argument. */
  usage: 2,
  /** Bad configuration: an environment variable is missing or invalid. */
  config: 3,
  /** Could not finish: the storage or the database refused or could not be reached. */
  failed: 4,
} as const;

export const EXIT_CODES_HELP = `
Exit codes:
  0  done, nothing wrong found
  1  problems found (a doctor check failed; reconcile or restore found or left something to repair)
  2  bad command line (unknown command or option, invalid argument)
  3  bad configuration (an environment variable is missing or invalid)
  4  could not finish (the storage or the database refused or could not be reached)`;

/** A bad argument, named as the user typed it (`--expires-in: …`). Exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface CliIo {
  /** Raw environment; undefined means the process environment. */
  env: Record<string, string | undefined> | undefined;
  /** One line of the command's result (stdout). */
  out(line: string): void;
  /** One line of diagnostics (stderr). */
  err(line: string): void;
  clock(): Date;
  /** Whether a person watches stderr: progress is shown only then. */
  interactive: boolean;
  /** Set by the command that ran. */
  exitCode: number;
}

/** The validated configuration, from the same env module the server uses. */
export function loadConfig(io: CliIo): Config {
  return io.env ? parseEnv(io.env) : readEnv();
}

/**
 * A one-line progress indicator on stderr for long operations; silent unless `io.interactive` and not `--json`.
 * `done()` clears the line.
 */
export function progressLine(io: CliIo, json: boolean): { update(text: string): void; done(): void } {
  const write = (text: string) => process.stderr.write(text);
  if (!io.interactive || json) return { update: () => {}, done: () => {} };
  let shown = false;
  return {
    update(text) {
      shown = true;
      write(`\r\x1b[2K${text}`);
    },
    done() {
      if (shown) write("\r\x1b[2K");
      shown = false;
    },
  };
}

/** Left-aligned columns separated by two spaces; the last column is never padded. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) =>
        i === row.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - [...cell].length),
      )
      .join("  ")
      .trimEnd(),
  );
}

/** Parses a whole number option, or throws a UsageError naming it. */
export function integerOption(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(
      `${name}: must be a whole number from ${min} to ${max} (got ${JSON.stringify(value)})`,
    );
  }
  return Number(value);
}
