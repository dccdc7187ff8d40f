/**
 * The database and the storage as the server has them, for commands that work on both (sweep, reconcile). With
 * the embedded endpoint, its directory is served by a private local-s3 on a free port, so these commands work
 * whether or not `pnpm start` is running.
 */

import type { Database } from "@signet/db";
import { closeDb } from "@signet/db";
import type { Signer } from "@signet/signer";
import type { Config } from "../env.ts";
import type { CliIo } from "./io.ts";

export interface ServerDeps {
  db: Database;
  signer: Signer;
  /** The endpoint the signer talks to, and whether it is the embedded one. */
  endpoint: string;
  local: boolean;
  clock: () => Date;
}

/** Opens (and migrates) the database and the storage, runs `body`, and closes both. */
export async function withServerDeps<T>(
  config: Config,
  io: CliIo,
  body: (deps: ServerDeps) => Promise<T>,
): Promise<T> {
  // Loaded on demand, so commands that need neither (presign, cors, doctor) start fast.
  const { loadDevSecrets, openDatabase, startStorage } = await import("../start.ts");
  const { serveNode } = await import("../entry/node-serve.ts");
  const db = await openDatabase(config);
  try {
    const storage = await startStorage(
      { ...config, localS3: { ...config.localS3, port: 0 }, host: "127.0.0.1" },
      serveNode,
      () => loadDevSecrets(config.dataDir),
    );
    try {
      return await body({
        db,
        signer: storage.signer,
        endpoint: storage.endpoint,
        local: storage.local,
        clock: io.clock,
      });
    } finally {
      await storage.close();
    }
  } finally {
    closeDb(db);
  }
}
