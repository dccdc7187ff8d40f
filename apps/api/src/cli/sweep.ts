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
      const { appConfig, createSignet } = await import("../signet.ts");
      const { loadDevSecrets } = await import("../start.ts");
      const result = await withServerDeps(config, io, async (deps) => {
        // The same assembly the server runs, so the CLI's sweep is the server's sweep.
        const signet = createSignet(
          appConfig(config, {
            publicUrl: config.publicUrl ?? "http://localhost",
            s3Endpoint: deps.endpoint,
            storage: deps.local ? "local" : "s3",
          }),
          {
            db: deps.db,
            storage: deps.signer,
            authSecret: config.betterAuthSecret ?? (await loadDevSecrets(config.dataDir)).betterAuthSecret,
            clock: deps.clock,
          },
        );
        return signet.sweep();
      });
      io.out(
        flags.json
          ? JSON.stringify(result)
          : `swept: ${result.ready} ready, ${result.rejected} rejected, ${result.stagingRemoved} staging objects removed, ${result.purged} purged`,
      );
      io.exitCode = EXIT.ok;
    });
}
