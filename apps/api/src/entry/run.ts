// What every runtime entry does once it has its `serve`: start, print, and stop cleanly on a signal.
// node:process is implemented by Node, Bun and Deno alike, so this file is shared by all three entries.
import process from "node:process";
import { setImmediate } from "node:timers";
import { ConfigError } from "../env.ts";
import { batchedJsonLogger } from "../ground.ts";
import { redact } from "../redact.ts";
import { type Serve, startSignet } from "../start.ts";

/**
 * Starts Signet with the runtime's `serve`; exits 0 after a graceful stop on SIGTERM/SIGINT, 1 on a failed start.
 * `envDefaults` fill environment variables that are unset or empty.
 */
export async function run(serve: Serve, envDefaults?: Record<string, string>): Promise<void> {
  // The handlers go in before start-up: the "listening" line is printed inside startSignet, and a supervisor
  // that signals as soon as it reads it must get the graceful stop, not the default kill.
  const logger = batchedJsonLogger((text) => process.stdout.write(text), setImmediate);
  process.once("exit", logger.flush);
  const starting = startSignet({ serve, logger, ...(envDefaults ? { envDefaults } : {}) });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      await (await starting).close();
    } catch {
      // A failed start is reported (exit 1) below.
      return;
    }
    process.exit(0);
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  try {
    await starting;
  } catch (error) {
    console.error(
      error instanceof ConfigError
        ? `signet: ${error.message}`
        : redact(String((error as Error)?.stack ?? error)),
    );
    process.exit(1);
  }
}
