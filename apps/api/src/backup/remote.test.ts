import { access, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeDb, createDb } from "@signet/db";
import { migrate } from "@signet/db/migrate";
import Sqlite from "libsql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli, TEST_CREDENTIALS } from "../cli/testing.ts";
import { type HranaServer, startHranaServer } from "../testing/hrana-server.ts";
import { SEEDED_AT, seedUsersAndFiles } from "../testing/seed-files.ts";
import type { Manifest } from "./manifest.ts";
import { takeBackup } from "./snapshot.ts";

// `signet backup` against a libSQL server over HTTP: the real `@libsql/client` in a spawned CLI, talking Hrana to a
// protocol peer on port 0 that serves a libSQL file Signet migrated and filled.

const at = SEEDED_AT;
const TOKEN = "hrana-test-token-0123456789";

let dir: string;
let dbFile: string;

/** The environment that points `signet` at the server (the bucket is never reached by a backup). */
function envFor(server: HranaServer, token = TOKEN): Record<string, string> {
  return {
    DATA_DIR: join(dir, "signet-data"),
    DATABASE_URL: server.url,
    DATABASE_AUTH_TOKEN: token,
    S3_ENDPOINT: "http://127.0.0.1:1",
    S3_BUCKET: "signet",
    S3_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    BETTER_AUTH_SECRET: "remote-test-secret-remote-test-secret-0123",
    PUBLIC_URL: "http://localhost:5173",
  };
}

/** A `VACUUM INTO` backup of the file as it is now: what a remote backup must equal. */
async function vacuumed(name: string): Promise<Manifest> {
  const db = await createDb({ url: `file:${dbFile}` });
  try {
    return await takeBackup({ db, method: "vacuum-into", target: join(dir, name), clock: () => at });
  } finally {
    closeDb(db);
  }
}

function rowsOf(path: string, sql: string): unknown[] {
  const db = new Sqlite(path, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "signet-remote-backup-"));
  dbFile = join(dir, "served.db");
  const db = await createDb({ url: `file:${dbFile}` });
  await migrate(db);
  // More files than one copy page (500 rows), so the keyset paging runs over HTTP too.
  await seedUsersAndFiles(db, 3, 200);
  closeDb(db);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("signet backup of a libSQL server over HTTP", { timeout: 180_000 }, () => {
  it("streams the same tables, rows and per-user figures as VACUUM INTO of the same file", async () => {
    const server = await startHranaServer({ file: dbFile, authToken: TOKEN });
    const target = join(dir, "remote.db");
    let run: Awaited<ReturnType<typeof spawnCli>>;
    try {
      run = await spawnCli(["backup", target, "--json"], envFor(server));
    } finally {
      await server.close();
    }
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const remote = JSON.parse(await readFile(`${target}.manifest.json`, "utf8")) as Manifest;
    const local = await vacuumed("local.db");
    expect(remote.method).toBe("copy-tables");
    expect(remote.tables).toEqual(local.tables);
    expect(remote.users).toEqual(local.users);
    expect(remote.schema).toEqual(local.schema);
    expect(remote.tables.file).toBe(600);
    expect(remote.users.find((u) => u.userId === "user-2")).toEqual({
      userId: "user-2",
      objects: 199,
      bytes: Array.from({ length: 199 }, (_, f) => 101 + f).reduce((a, b) => a + b, 0),
      reservedBytes: Array.from({ length: 200 }, (_, f) => 100 + f).reduce((a, b) => a + b, 0),
    });
    // The file opens and holds the same rows, values and types included.
    for (const sql of [
      'SELECT * FROM "user" ORDER BY id',
      'SELECT * FROM "file" ORDER BY id',
      'SELECT * FROM "user_quota" ORDER BY user_id',
    ]) {
      expect(rowsOf(target, sql)).toEqual(rowsOf(join(dir, "local.db"), sql));
    }
  });

  it("holds a write made during the copy either fully or not at all (one read transaction)", async () => {
    const writer = new Sqlite(dbFile, { timeout: 5000 });
    let wrote = false;
    const server = await startHranaServer({
      file: dbFile,
      authToken: TOKEN,
      // The first table page read: the snapshot has begun, no table is copied yet. Another connection then adds
      // a user, their file and their quota in one transaction.
      beforeStatement: (sql) => {
        if (wrote || !sql.startsWith("SELECT _rowid_, *")) return;
        wrote = true;
        writer.exec(`BEGIN;
          INSERT INTO "user" (id, name, email, email_verified, created_at, updated_at)
            VALUES ('mid', 'mid', 'mid@example.com', 0, ${at.getTime()}, ${at.getTime()});
          INSERT INTO "file" (id, owner_id, key, original_filename, content_type, size, status, created_at, upload_expires_at)
            VALUES ('file-mid', 'mid', 'u/mid/0.bin', '0.bin', 'application/octet-stream', 7, 'ready', ${at.getTime()}, ${at.getTime()});
          INSERT INTO "user_quota" (user_id, reserved_bytes) VALUES ('mid', 7);
          COMMIT;`);
      },
    });
    const before = await vacuumed("before.db");
    const target = join(dir, "during.db");
    let run: Awaited<ReturnType<typeof spawnCli>>;
    try {
      run = await spawnCli(["backup", target, "--json"], envFor(server));
    } finally {
      await server.close();
      writer.close();
    }
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(wrote).toBe(true);
    const after = await vacuumed("after.db");
    expect(after.tables.user).toBe(before.tables.user! + 1);
    const during = JSON.parse(await readFile(`${target}.manifest.json`, "utf8")) as Manifest;
    // The read transaction began before the write: the copy is the database as it was, none of the write in it.
    expect(during.tables).toEqual(before.tables);
    expect(during.users).toEqual(before.users);
  });

  it("refuses a wrong token with a clear error, leaving no file behind", async () => {
    const server = await startHranaServer({ file: dbFile, authToken: TOKEN });
    const backups = join(dir, "refused");
    const target = join(backups, "wrong-token.db");
    let run: Awaited<ReturnType<typeof spawnCli>>;
    try {
      run = await spawnCli(["backup", target], envFor(server, "not-the-token"));
    } finally {
      await server.close();
    }
    expect(run.code).toBe(4);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(
      "signet: database refused: SERVER_ERROR: Server returned HTTP status 401: invalid or missing auth token\n",
    );
    expect(run.stderr).not.toContain("not-the-token");
    const left = await readdir(backups).catch(() => []);
    expect(left).toEqual([]);
    await expect(access(target)).rejects.toThrow();
  });
});
