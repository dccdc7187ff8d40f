/**
 * Scheduled backups (BACKUP_DIR): every BACKUP_INTERVAL the server writes `signet-<time>.db` and its manifest into
 * the directory and deletes the oldest beyond BACKUP_KEEP. Off unless BACKUP_DIR is set.
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Database } from "@signet/db";
import type { BackupConfig } from "../env.ts";
import type { Logger } from "../ground.ts";
import { manifestPath } from "./manifest.ts";
import { takeBackup } from "./snapshot.ts";
import { databaseFilePath } from "./sqlite.ts";

const NAME = /^signet-\d{8}T\d{9}Z\.db$/;

/** `signet-20261207T203415123Z.db`: sorts by time. */
function backupName(at: Date): string {
  return `signet-${at.toISOString().replace(/[-:.]/g, "")}.db`;
}

/** Writes one backup into `config.dir` and removes the oldest beyond `config.keep`; returns the new file. */
export async function scheduledBackup(
  db: Database,
  databaseUrl: string,
  config: BackupConfig,
  clock: () => Date,
): Promise<string> {
  const target = join(config.dir, backupName(clock()));
  await takeBackup({
    db,
    method: databaseFilePath(databaseUrl) ? "vacuum-into" : "copy-tables",
    target,
    clock,
  });
  const kept = (await readdir(config.dir)).filter((name) => NAME.test(name)).sort();
  for (const old of kept.slice(0, Math.max(0, kept.length - config.keep))) {
    await rm(manifestPath(join(config.dir, old)), { force: true });
    await rm(join(config.dir, old), { force: true });
  }
  return target;
}

/** Starts the timer; returns the function that stops it. Never keeps the process alive by itself. */
export function scheduleBackups(
  db: Database,
  databaseUrl: string,
  config: BackupConfig,
  logger: Logger,
  clock: () => Date = () => new Date(),
): () => Promise<void> {
  let running: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = scheduledBackup(db, databaseUrl, config, clock)
      .then((file) => logger({ level: "info", msg: "backup", file }))
      .catch((error) => logger({ level: "warn", msg: "backup failed", error: String(error) }))
      .finally(() => {
        running = null;
      });
  }, config.intervalSeconds * 1000);
  (timer as { unref?: () => void }).unref?.();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
