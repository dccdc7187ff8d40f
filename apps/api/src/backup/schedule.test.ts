import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDb, createDb, user } from "@signet/db";
import { migrate } from "@signet/db/migrate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveNode } from "../entry/node-serve.ts";
import { ConfigError, parseEnv } from "../env.ts";
import { startSignet } from "../start.ts";
import { readManifest } from "./manifest.ts";
import { scheduledBackup } from "./schedule.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "signet-backup-schedule-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("scheduled backups", { timeout: 120_000 }, () => {
  it("are off unless BACKUP_DIR is set, and name the variable on a bad value", () => {
    expect(parseEnv({}).backup).toBeUndefined();
    expect(parseEnv({ BACKUP_DIR: "/backups" }).backup).toEqual({
      dir: "/backups",
      intervalSeconds: 86400,
      keep: 7,
    });
    expect(parseEnv({ BACKUP_DIR: "/b", BACKUP_INTERVAL: "600", BACKUP_KEEP: "2" }).backup).toEqual({
      dir: "/b",
      intervalSeconds: 600,
      keep: 2,
    });
    expect(() => parseEnv({ BACKUP_DIR: "/b", BACKUP_INTERVAL: "5" })).toThrow(
      new ConfigError('BACKUP_INTERVAL: Too small: expected number to be >=60 (got "5")'),
    );
    expect(() => parseEnv({ BACKUP_KEEP: "0" })).toThrow(/^BACKUP_KEEP: /);
  });

  it("write a backup with its manifest each time and keep only the newest BACKUP_KEEP", async () => {
    const url = `file:${join(dir, "signet.db")}`;
    const db = await createDb({ url });
    await migrate(db);
    const backups = join(dir, "backups");
    let now = Date.UTC(2026, 11, 7, 10);
    const written: string[] = [];
    for (let i = 0; i < 4; i++) {
      const at = new Date(now);
      await db
        .insert(user)
        .values({ id: `u${i}`, name: "u", email: `u${i}@e.com`, createdAt: at, updatedAt: at });
      written.push(await scheduledBackup(db, url, { dir: backups, intervalSeconds: 60, keep: 2 }, () => at));
      now += 60_000;
    }
    closeDb(db);
    expect(written[0]).toBe(join(backups, "signet-20261207T100000000Z.db"));
    const kept = written.slice(2).map((path) => path.slice(backups.length + 1));
    expect((await readdir(backups)).sort()).toEqual(kept.flatMap((name) => [name, `${name}.manifest.json`]));
    expect((await readManifest(written[3]!)).tables.user).toBe(4);
  });

  it("a running server marks its database file, and removes the mark when it stops", async () => {
    const dataDir = join(dir, "server");
    const server = await startSignet({
      env: { DATA_DIR: dataDir, PORT: "0", LOCAL_S3_PORT: "0" },
      serve: serveNode,
      print: () => {},
      logger: () => {},
      sweepIntervalMs: 0,
    });
    const marks = join(dataDir, "signet.db.instances");
    try {
      expect(await readdir(marks)).toHaveLength(1);
    } finally {
      await server.close();
    }
    expect(await readdir(marks)).toEqual([]);
  });
});
