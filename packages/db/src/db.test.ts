import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDb, type Database, file, migrate, migrationsFolder, user } from "./index.ts";

/** The database's own message: Drizzle wraps it as the cause of a "Failed query" error. */
async function failure(query: PromiseLike<unknown>): Promise<string> {
  try {
    await query;
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return String(cause instanceof Error ? cause.message : error);
  }
  throw new Error("expected the query to fail");
}

let dir: string;
let db: Database;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "signet-db-"));
  db = await createDb({ url: `file:${join(dir, "test.db")}` });
});

afterEach(async () => {
  db.$client.close();
  await rm(dir, { recursive: true, force: true });
});

describe("createDb", () => {
  it("opens a file database in WAL mode with foreign keys and a busy timeout", async () => {
    const journal = await db.$client.execute("PRAGMA journal_mode");
    expect(journal.rows[0]?.[0]).toBe("wal");
    const fk = await db.$client.execute("PRAGMA foreign_keys");
    expect(fk.rows[0]?.[0]).toBe(1);
    const busy = await db.$client.execute("PRAGMA busy_timeout");
    expect(Number(busy.rows[0]?.[0])).toBeGreaterThanOrEqual(1000);
  });

  it("opens libsql: and http(s): URLs without touching the file pragmas", async () => {
    // Nothing listens on port 9: creating the client is lazy, the first query is what fails.
    const remote = await createDb({ url: "http://127.0.0.1:9", authToken: "token" });
    await expect(remote.select().from(user)).rejects.toThrow();
    remote.$client.close();
    const libsql = await createDb({ url: "libsql://127.0.0.1:9?tls=0" });
    expect(libsql.$client.protocol).not.toBe("file");
    libsql.$client.close();
  });

  it("refuses an unsupported URL naming the problem", async () => {
    await expect(createDb({ url: "postgres://x" })).rejects.toThrow(/url must start with/);
    await expect(createDb({ url: "" })).rejects.toThrow(/url is required/);
  });
});

describe("migrate", () => {
  it("creates every table and is idempotent", async () => {
    await migrate(db);
    await migrate(db);
    const rows = await db.$client.execute(
      "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
    );
    const names = rows.rows.map((r) => r[0]);
    for (const table of [
      "account",
      "audit_event",
      "file",
      "profile_image",
      "profile_image_upload",
      "rate_limit",
      "session",
      "user",
      "user_quota",
      "verification",
    ]) {
      expect(names).toContain(table);
    }
    const applied = await db.$client.execute("SELECT count(*) FROM __drizzle_migrations");
    expect(Number(applied.rows[0]?.[0])).toBeGreaterThan(0);
  });

  it("lets several instances start against one fresh database at once", async () => {
    // Each instance has its own connection; all of them find no migrations applied and race to apply them.
    const url = `file:${join(dir, "shared.db")}`;
    const instances = await Promise.all(Array.from({ length: 4 }, () => createDb({ url })));
    try {
      await Promise.all(instances.map((instance) => migrate(instance)));
      const applied = await instances[0]!.$client.execute("SELECT hash FROM __drizzle_migrations");
      const journal = JSON.parse(await readFile(join(migrationsFolder, "meta", "_journal.json"), "utf8"));
      expect(applied.rows).toHaveLength(journal.entries.length);
    } finally {
      for (const instance of instances) instance.$client.close();
    }
  });

  it("works from another working directory", async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await migrate(db);
    } finally {
      process.chdir(cwd);
    }
    const rows = await db.select().from(user);
    expect(rows).toEqual([]);
  });

  it("enforces foreign keys and cascades a user's files", async () => {
    await migrate(db);
    const now = new Date(1_700_000_000_000);
    const orphan = {
      id: "f1",
      ownerId: "nobody",
      key: "u/nobody/a.txt",
      originalFilename: "a.txt",
      contentType: "text/plain",
      size: 1,
      createdAt: now,
      uploadExpiresAt: now,
    };
    expect(await failure(db.insert(file).values(orphan))).toMatch(/FOREIGN KEY/i);

    await db.insert(user).values({ id: "u1", name: "A", email: "a@example.com" });
    await db.insert(file).values({ ...orphan, ownerId: "u1" });
    const [row] = await db.select().from(file).where(eq(file.id, "f1"));
    expect(row?.status).toBe("pending");
    expect(row?.createdAt.getTime()).toBe(now.getTime());
    await db.delete(user).where(eq(user.id, "u1"));
    const left = await db.select({ n: sql<number>`count(*)` }).from(file);
    expect(left[0]?.n).toBe(0);
  });

  it("keeps the object key unique", async () => {
    await migrate(db);
    await db.insert(user).values({ id: "u1", name: "A", email: "a@example.com" });
    const row = {
      ownerId: "u1",
      key: "u/u1/same",
      originalFilename: "a",
      contentType: "text/plain",
      size: 1,
      createdAt: new Date(0),
      uploadExpiresAt: new Date(0),
    };
    await db.insert(file).values({ ...row, id: "f1" });
    expect(await failure(db.insert(file).values({ ...row, id: "f2" }))).toMatch(/UNIQUE/i);
  });
});
