#!/usr/bin/env tsx
/**
 * `signet migrate`: applies database migrations. `signet sweep`: resolves expired pending uploads once (the server
 * also does this every minute). Configuration comes from the same environment variables as the server.
 * `signet upload <file> [--resume]`: uploads a file to a running server (see cli/upload.ts).
 */
import { runUpload, UPLOAD_USAGE } from "./cli/upload.ts";
import { serveNode } from "./entry/node-serve.ts";
import { ConfigError, parseEnv, readEnv } from "./env.ts";
import { redact } from "./redact.ts";
import { appConfig, createSignet } from "./signet.ts";
import { loadDevSecrets, openDatabase, startStorage } from "./start.ts";

const USAGE = `usage: signet <migrate|sweep>\n       ${UPLOAD_USAGE}`;

export interface CliOptions {
  /** Raw environment; defaults to the process environment. */
  env?: Record<string, string | undefined>;
  out?: (line: string) => void;
  clock?: () => Date;
}

/** Runs one CLI command; returns the exit code. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<number> {
  const out = options.out ?? ((line: string) => console.log(line));
  const command = args[0];
  if (command === "upload") {
    const pause = new AbortController();
    const onInterrupt = () => pause.abort();
    if (!options.env) process.once("SIGINT", onInterrupt);
    try {
      return await runUpload(args.slice(1), { env: options.env ?? process.env, out, pause: pause.signal });
    } finally {
      process.off("SIGINT", onInterrupt);
    }
  }
  if (command !== "migrate" && command !== "sweep") {
    out(USAGE);
    return command === undefined || command === "--help" ? 0 : 2;
  }
  const config = options.env ? parseEnv(options.env) : readEnv();
  const db = await openDatabase(config);
  try {
    if (command === "migrate") {
      out("migrations applied");
      return 0;
    }
    // With the embedded endpoint, sweep its directory through a private local-s3 on a free port.
    const storage = await startStorage(
      { ...config, localS3: { ...config.localS3, port: 0 }, host: "127.0.0.1" },
      serveNode,
      () => loadDevSecrets(config.dataDir),
    );
    try {
      const signet = createSignet(
        appConfig(config, {
          publicUrl: config.publicUrl ?? "http://localhost",
          s3Endpoint: storage.endpoint,
          storage: storage.local ? "local" : "s3",
        }),
        {
          db,
          storage: storage.signer,
          authSecret: config.betterAuthSecret ?? (await loadDevSecrets(config.dataDir)).betterAuthSecret,
          ...(options.clock ? { clock: options.clock } : {}),
        },
      );
      const result = await signet.sweep();
      out(
        `swept: ${result.ready} ready, ${result.rejected} rejected, ${result.stagingRemoved} staging objects removed, ${result.purged} purged`,
      );
      return 0;
    } finally {
      await storage.close();
    }
  } finally {
    db.$client.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("/cli.ts")) {
  runCli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      console.error(
        error instanceof ConfigError ? `signet: ${error.message}` : redact(String(error?.stack ?? error)),
      );
      process.exit(1);
    },
  );
}
