import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import { Miniflare } from "miniflare";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  baseOf,
  closeDb,
  createDb,
  type Database,
  driverOf,
  file,
  preparedOn,
  rateLimit,
  runBatch,
  throughClient,
  user,
} from "./index.ts";
import { migrate, migrationsFolder } from "./migrate.ts";

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

async function value(db: Database, query: string): Promise<unknown> {
  const row = await db.get<Record<string, unknown>>(sql.raw(query));
  return row ? Object.values(row)[0] : undefined;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "signet-db-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// workerd's D1 (miniflare) from Node: the binding a Worker gets, proxied. One runtime for the file, a fresh
// database per test by name.
let mf: Miniflare;
let d1Count = 0;
beforeAll(async () => {
  mf = new Miniflare({
    modules: true,
    script: "export default { fetch: () => new Response(null) }",
    compatibilityDate: "2026-04-20",
    d1Databases: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`DB${i}`, `db-test-${i}`])),
  });
  await mf.ready;
}, 60_000);
afterAll(async () => {
  await mf?.dispose();
});

/** Each backend the package supports, opened fresh. */
const backends: { name: string; open: () => Promise<Database> }[] = [
  { name: "libSQL file", open: () => createDb({ url: `file:${join(dir, "test.db")}` }) },
  { name: "D1", open: async () => createDb({ d1: await mf.getD1Database(`DB${d1Count++}`) }) },
];

describe("createDb", () => {
  it("opens a file database in WAL mode with foreign keys and a busy timeout", async () => {
    const db = await createDb({ url: `file:${join(dir, "test.db")}` });
    try {
      expect(driverOf(db)).toBe("libsql");
      expect(await value(db, "PRAGMA journal_mode")).toBe("wal");
      expect(await value(db, "PRAGMA foreign_keys")).toBe(1);
      expect(Number(await value(db, "PRAGMA busy_timeout"))).toBeGreaterThanOrEqual(1000);
    } finally {
      closeDb(db);
      closeDb(db);
    }
  });

  it("opens libsql: and http(s): URLs without touching the file pragmas", async () => {
    // Nothing listens on port 9: creating the client is lazy, the first query is what fails.
    const remote = await createDb({ url: "http://127.0.0.1:9", authToken: "token" });
    await expect(remote.select().from(user)).rejects.toThrow();
    closeDb(remote);
    const libsql = await createDb({ url: "libsql://127.0.0.1:9?tls=0" });
    expect(driverOf(libsql)).toBe("libsql");
    closeDb(libsql);
  });

  it("opens a D1 binding", async () => {
    const db = await createDb({ d1: await mf.getD1Database(`DB${d1Count++}`) });
    expect(driverOf(db)).toBe("d1");
    expect(await value(db, "SELECT 41 + 1")).toBe(42);
    closeDb(db);
  });

  it("refuses an unsupported URL or binding naming the problem", async () => {
    await expect(createDb({ url: "postgres://x" })).rejects.toThrow(/url must start with/);
    await expect(createDb({ url: "" })).rejects.toThrow(/url is required/);
    await expect(createDb({ d1: {} as never })).rejects.toThrow(/d1 must be a D1 database binding/);
  });
});

describe.each(backends)("$name", ({ open }) => {
  let db: Database;
  beforeEach(async () => {
    db = await open();
  });
  afterEach(() => closeDb(db));

  it("migrates: creates every table and is idempotent", async () => {
    await migrate(db);
    await migrate(db);
    const rows = await db.all<{ name: string }>(
      sql`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`,
    );
    const names = rows.map((r) => r.name);
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
    const journal = JSON.parse(await readFile(join(migrationsFolder, "meta", "_journal.json"), "utf8"));
    expect(await value(db, "SELECT count(*) FROM __drizzle_migrations")).toBe(journal.entries.length);
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
    // The schema's default timestamps (unixepoch('subsecond')) work on this SQLite too.
    const [created] = await db.select({ at: user.createdAt }).from(user);
    expect(Math.abs(created!.at.getTime() - Date.now())).toBeLessThan(60_000);
    await db.delete(user).where(eq(user.id, "u1"));
    expect(await value(db, "SELECT count(*) FROM file")).toBe(0);
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

  it("runs a batch atomically: a failing statement undoes the ones before it", async () => {
    await migrate(db);
    await db.insert(user).values({ id: "u1", name: "A", email: "a@example.com" });
    await expect(
      db.batch([
        db.insert(rateLimit).values({ key: "k", windowStart: 0, count: 1 }),
        db.insert(user).values({ id: "u2", name: "B", email: "a@example.com" }),
      ]),
    ).rejects.toThrow();
    expect(await db.select().from(rateLimit)).toEqual([]);
    const [inserted, counted] = await db.batch([
      db.insert(rateLimit).values({ key: "k", windowStart: 0, count: 1 }).returning(),
      db.select().from(rateLimit),
    ]);
    expect(inserted).toEqual([{ key: "k", windowStart: 0, count: 1 }]);
    expect(counted).toHaveLength(1);
  });

  it("runs built statements as one atomic batch: rows changed, rows returned, all or nothing", async () => {
    await migrate(db);
    const insert = (key: string, when: number) => ({
      sql: "insert into rate_limit (key, window_start, count) select ?, 0, 1 where ? = 1",
      args: [key, when],
    });
    const results = await runBatch(db, [
      insert("a", 1),
      insert("b", 0),
      { sql: "update rate_limit set count = count + 1 where key = ? returning count", args: ["a"] },
    ]);
    expect(results.map((r) => r.rowsAffected).slice(0, 2)).toEqual([1, 0]);
    expect(results[2]?.rows.map((row) => row.count)).toEqual([2]);
    await expect(runBatch(db, [insert("c", 1), insert("a", 1)])).rejects.toThrow();
    expect((await db.select().from(rateLimit)).map((row) => row.key)).toEqual(["a"]);
  });

  it("sends a view's statements through its client, and only the view's", async () => {
    await migrate(db);
    const client = (db as unknown as { $client: Record<string, (...args: unknown[]) => unknown> }).$client;
    const calls: string[] = [];
    // A forwarding wrapper, as tracing makes one: each call noted, then made on the database's own client.
    const wrapper = new Proxy(client, {
      get(target, name) {
        const value = Reflect.get(target, name, target);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (name === "execute" || name === "batch") calls.push(String(name));
          return value.apply(target, args);
        };
      },
    });
    const view = throughClient(db, wrapper);
    expect(baseOf(view)).toBe(db);
    expect(baseOf(db)).toBe(db);
    expect(driverOf(view)).toBe(driverOf(db));
    await runBatch(view, [
      { sql: "insert into rate_limit (key, window_start, count) values (?, 0, 1)", args: ["v"] },
    ]);
    await view.batch([db.update(rateLimit).set({ count: 2 }).where(eq(rateLimit.key, "v"))]);
    expect(calls).toEqual(["batch", "batch"]);
    const byKey = db
      .select()
      .from(rateLimit)
      .where(eq(rateLimit.key, sql.placeholder("key")))
      .prepare();
    expect((await preparedOn(byKey, view).all({ key: "v" })).map((row) => row.count)).toEqual([2]);
    expect((await view.select().from(rateLimit)).map((row) => row.key)).toEqual(["v"]);
    // libSQL runs single statements through the client too; a D1 statement is prepared by the binding itself.
    expect(calls.slice(2)).toEqual(driverOf(db) === "libsql" ? ["execute", "execute"] : []);
    // The database itself never goes through the view's client.
    await db.select().from(rateLimit);
    await runBatch(db, [{ sql: "delete from rate_limit", args: [] }]);
    expect(calls.length).toBe(driverOf(db) === "libsql" ? 4 : 2);
  });
});

describe("migrate on libSQL files", () => {
  it("lets several instances start against one fresh database at once", async () => {
    // Each instance has its own connection; all of them find no migrations applied and race to apply them.
    const url = `file:${join(dir, "shared.db")}`;
    const instances = await Promise.all(Array.from({ length: 4 }, () => createDb({ url })));
    try {
      await Promise.all(instances.map((instance) => migrate(instance)));
      const journal = JSON.parse(await readFile(join(migrationsFolder, "meta", "_journal.json"), "utf8"));
      expect(await value(instances[0]!, "SELECT count(*) FROM __drizzle_migrations")).toBe(
        journal.entries.length,
      );
    } finally {
      for (const instance of instances) closeDb(instance);
    }
  });

  it("works from another working directory", async () => {
    const db = await createDb({ url: `file:${join(dir, "cwd.db")}` });
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await migrate(db);
    } finally {
      process.chdir(cwd);
      closeDb(db);
    }
  });
});
