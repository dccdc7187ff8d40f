/** `signet sweep`: resolves expired pending uploads once (the server also does this every minute). */
import { Command } from "commander";
import { type CliIo, EXIT, loadConfig } from "./io.ts";
import { withServerDeps } from "./server-deps.ts";

export function sweepCommand(io: CliIo): Command {
  return new Command("sweep")
    .description("resolve pending uploads whose URL expired (the server also does this every minute)")
    .option("--json", "print the counts as JSON")
    .action(async (flags: { json?: boolean }) => {
      const config = loadConfig(io);
      const { jsonLogger } = await import("../deps.ts");
      const { redactingLogger } = await import("../http/redact.ts");
      const { sweep } = await import("../services/sweeper.ts");
      const { SWEEP_GRACE_SECONDS } = await import("../start.ts");
      const result = await withServerDeps(config, io, (deps) =>
        sweep({
          ...deps,
          logger: redactingLogger(jsonLogger),
          config: { sweepGraceSeconds: SWEEP_GRACE_SECONDS },
        }),
      );
      io.out(
        flags.json
          ? JSON.stringify(result)
          : `swept: ${result.ready} ready, ${result.rejected} rejected, ${result.stagingRemoved} staging objects removed, ${result.purged} purged`,
      );
      io.exitCode = EXIT.ok;
    });
}
