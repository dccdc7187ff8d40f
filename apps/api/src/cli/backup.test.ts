import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { closeDb, createDb, user } from "@signet/db";
import { migrate } from "@signet/db/migrate";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { markInstance } from "../backup/instances.ts";
import type { Manifest } from "../backup/manifest.ts";
import { takeBackup } from "../backup/snapshot.ts";
import { SEEDED_AT, seedUsersAndFiles } from "../testing/seed-files.ts";
import { spawnCli, startTestBucket, type TestBucket } from "./testing.ts";

// `signet backup` and `signet restore` spawned as an operator runs them, on real libSQL files and a real local-s3.

let bucket: TestBucket;
beforeAll(async () => {
  bucket = await startTestBucket();
});
afterAll(async () => {
  await bucket?.close();
});

const at = SEEDED_AT;

async function sha256(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/** An environment for a data directory of its own, on the shared test bucket. */
async function dataDir(name: string): Promise<{ env: Record<string, string>; dbFile: string }> {
  const dir = join(bucket.env.DATA_DIR!, name);
  await mkdir(dir, { recursive: true });
  return { env: { ...bucket.env, DATA_DIR: dir }, dbFile: join(dir, "signet.db") };
}

describe("signet backup", { timeout: 180_000 }, () => {
  it("snapshots a database that is being written, with a manifest of what the snapshot holds", async () => {
    const { env, dbFile } = await dataDir("live");
    const db = await createDb({ url: `file:${dbFile}` });
    await migrate(db);
    await seedUsersAndFiles(db, 3, 4);
    // Another connection keeps writing (as a serving instance would) while the backup runs.
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        // The native driver resolves at once: yield, or the child's output would never be read.
        await new Promise((resolve) => setImmediate(resolve));
        await db.insert(user).values({
          id: `late-${written}`,
          name: "late",
          email: `late-${written++}@example.com`,
          createdAt: at,
          updatedAt: at,
        });
      }
    })();
    const target = join(env.DATA_DIR!, "backups", "one.db");
    const run = await spawnCli(["backup", target, "--json"], env);
    writing = false;
    await writer;
    closeDb(db);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const manifest = JSON.parse(await readFile(`${target}.manifest.json`, "utf8")) as Manifest;
    const { users: userList, ...summary } = manifest;
    expect(JSON.parse(run.stdout)).toEqual({
      file: target,
      manifest: `${target}.manifest.json`,
      ...summary,
      users: userList.length,
    });
    expect(manifest).toMatchObject({ format: "signet-backup/1", method: "vacuum-into" });
    expect(manifest.sha256).toBe(await sha256(target));
    expect(manifest.bytes).toBe((await stat(target)).size);
    expect(manifest.schema.tag).toMatch(/^\d{4}_/);
    // Taken mid-write: somewhere between the seed and every late row, and consistent with itself.
    const users = manifest.tables.user!;
    expect(users).toBeGreaterThanOrEqual(3);
    expect(users).toBeLessThanOrEqual(3 + written);
    expect(manifest.users).toHaveLength(users);
    expect(manifest.tables.file).toBe(12);
    expect(manifest.users.find((u) => u.userId === "user-1")).toEqual({
      userId: "user-1",
      objects: 3,
      bytes: 101 + 102 + 103,
      reservedBytes: 100 + 101 + 102 + 103,
    });

    const again = await spawnCli(["backup", target], env);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`signet: <file>: ${target} already exists; a backup never overwrites a file\n`);
    expect(await sha256(target)).toBe(manifest.sha256);
  });

  it("streams the tables inside one read transaction when VACUUM INTO cannot write here (a libSQL server)", async () => {
    const { env, dbFile } = await dataDir("copy");
    const db = await createDb({ url: `file:${dbFile}` });
    await migrate(db);
    await seedUsersAndFiles(db, 2, 600);
    const clock = () => at;
    const copied = await takeBackup({ db, method: "copy-tables", target: `${dbFile}.copy`, clock });
    const vacuumed = await takeBackup({ db, method: "vacuum-into", target: `${dbFile}.vacuum`, clock });
    closeDb(db);
    expect(copied.method).toBe("copy-tables");
    expect(copied.tables).toEqual(vacuumed.tables);
    expect(copied.users).toEqual(vacuumed.users);
    expect(copied.schema).toEqual(vacuumed.schema);
    expect(copied.tables.file).toBe(1200);
    // The streamed copy restores like any other backup.
    const restored = await spawnCli(["restore", `${dbFile}.copy`, "--json"], env);
    expect(restored.stderr).toBe("");
    expect(JSON.parse(restored.stdout)).toMatchObject({ restored: { manifest: { sha256: copied.sha256 } } });
  });
});

describe("signet restore refuses, changing nothing", { timeout: 180_000 }, () => {
  let env: Record<string, string>;
  let dbFile: string;
  let backup: string;
  let before: string;

  beforeAll(async () => {
    ({ env, dbFile } = await dataDir("refusals"));
    const db = await createDb({ url: `file:${dbFile}` });
    await migrate(db);
    await seedUsersAndFiles(db, 1, 2);
    backup = join(env.DATA_DIR!, "good.db");
    await takeBackup({ db, method: "vacuum-into", target: backup, clock: () => at });
    await db
      .insert(user)
      .values({ id: "after", name: "a", email: "a@example.com", createdAt: at, updatedAt: at });
    closeDb(db);
    before = await sha256(dbFile);
  });

  async function refused(file: string, message: RegExp): Promise<void> {
    const run = await spawnCli(["restore", file], env);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(message);
    expect(run.code).toBe(4);
    expect(await sha256(dbFile)).toBe(before);
  }

  it("while a server runs on the database, but not for the mark a killed server left", async () => {
    // This test process stands in for the running server: its mark names a live pid.
    const release = await markInstance(dbFile);
    try {
      await refused(backup, /^signet: restore refused: .*a server is running on this database/);
    } finally {
      await release();
    }
    // A pid that cannot be alive: what `kill -9` leaves behind. It is removed and the restore goes ahead.
    const { hostname } = await import("node:os");
    await writeFile(join(`${dbFile}.instances`, `${hostname()}-2147483646`), "{}");
    // With --fix, the drift against the bucket is settled: the ready file has no object here.
    const run = await spawnCli(["restore", backup, "--fix", "--json"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { restored: { previous: string } };
    expect(result).toMatchObject({
      clean: true,
      fixed: true,
      quota: [],
      storage: [{ kind: "missing-file-object", key: "u/user-0/1.bin", fixed: true }],
    });
    expect(await sha256(result.restored.previous)).toBe(before);
    // Put the database as it was for the next refusals.
    await copyFile(result.restored.previous, dbFile);
  });

  it("from a damaged file or one that does not match its manifest", async () => {
    const damaged = join(env.DATA_DIR!, "damaged.db");
    const bytes = await readFile(backup);
    bytes[bytes.length - 100] = (bytes[bytes.length - 100] ?? 0) ^ 0xff;
    await writeFile(damaged, bytes);
    await copyFile(`${backup}.manifest.json`, `${damaged}.manifest.json`);
    await refused(damaged, /does not match its manifest/);

    // The same damage with a manifest rewritten to match it: SQLite's own check catches it.
    const truncated = join(env.DATA_DIR!, "truncated.db");
    await writeFile(truncated, bytes.subarray(0, 4096 * 3));
    const manifest = JSON.parse(await readFile(`${backup}.manifest.json`, "utf8")) as Manifest;
    manifest.bytes = 4096 * 3;
    manifest.sha256 = await sha256(truncated);
    await writeFile(`${truncated}.manifest.json`, JSON.stringify(manifest));
    await refused(truncated, /the database is damaged \(SQLITE_CORRUPT/);
    // One flipped byte inside a table's page, the manifest rewritten to match: SQLite's integrity check finds it.
    const flipped = join(env.DATA_DIR!, "flipped.db");
    const pageSize = bytes.readUInt16BE(16);
    const pages = Buffer.from(await readFile(backup));
    pages[pageSize] = 0x00; // page 2's b-tree page type: no such type
    await writeFile(flipped, pages);
    manifest.bytes = pages.length;
    manifest.sha256 = await sha256(flipped);
    await writeFile(`${flipped}.manifest.json`, JSON.stringify(manifest));
    await refused(flipped, /the database is damaged/);

    const bare = join(env.DATA_DIR!, "bare.db");
    await copyFile(backup, bare);
    await refused(bare, /no manifest beside the backup/);
    await writeFile(`${bare}.manifest.json`, "{ not json");
    await refused(bare, /manifest is not valid JSON/);
  });

  it("from a newer schema", async () => {
    const { dbFile: newerFile } = await dataDir("newer");
    const db = await createDb({ url: `file:${newerFile}` });
    await migrate(db);
    await db.run(
      sql`INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('from-the-future', ${Date.UTC(2099, 0, 1)})`,
    );
    const newer = join(env.DATA_DIR!, "newer.db");
    await takeBackup({ db, method: "vacuum-into", target: newer, clock: () => at });
    closeDb(db);
    await refused(newer, /made by a newer Signet \(schema of 2099-01-01T00:00:00\.000Z/);
  });
});
