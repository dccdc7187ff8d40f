// What every runtime entry does once it has its `serve`: start, print, and stop cleanly on a signal.
// node:process is implemented by Node, Bun and Deno alike, so this file is shared by all three entries.
import process from "node:process";
import { ConfigError } from "../env.ts";
import { redact } from "../http/redact.ts";
import { type Serve, startSignet } from "../start.ts";

/** Starts Signet with the runtime's `serve`; exits 0 after a graceful stop on SIGTERM/SIGINT, 1 on a failed start. */
export async function run(serve: Serve): Promise<void> {
  try {
    const signet = await startSignet({ serve });
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await signet.close();
      process.exit(0);
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
  } catch (error) {
    console.error(
      error instanceof ConfigError
        ? `signet: ${error.message}`
        : redact(String((error as Error)?.stack ?? error)),
    );
    process.exit(1);
  }
}
