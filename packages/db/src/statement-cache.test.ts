import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDb, createDb, type Database, rateLimit } from "./index.ts";
import { migrate } from "./migrate.ts";
import { cacheStatements, STATEMENTS_PER_CONNECTION, statementCacheStats } from "./statement-cache.ts";

describe("the statement cache", () => {
  let dir: string;
  let db: Database;
  beforeAll(async () => {
    cacheStatements();
    dir = await mkdtemp(join(os.tmpdir(), "signet-stmt-"));
    db = await createDb({ url: `file:${join(dir, "db.sqlite")}` });
    await migrate(db);
  });
  afterAll(async () => {
    closeDb(db);
    await rm(dir, { recursive: true, force: true });
  });

  it("is in the client's path: a repeated statement is prepared once", async () => {
    const read = () => db.select().from(rateLimit).where(eq(rateLimit.key, "k"));
    await read();
    const before = statementCacheStats();
    for (let i = 0; i < 10; i++) await read();
    const after = statementCacheStats();
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(10);
    expect(after.misses).toBe(before.misses);
  });

  it("answers correctly when reused: after a failed run, inside batches, with new values each time", async () => {
    const add = (key: string, count: number) => db.insert(rateLimit).values({ key, windowStart: 0, count });
    await add("a", 1);
    await expect(add("a", 2)).rejects.toThrow();
    await add("b", 2);
    for (let i = 0; i < 3; i++) {
      await db.batch([
        db
          .update(rateLimit)
          .set({ count: sql`${rateLimit.count} + 1` })
          .where(eq(rateLimit.key, "a")),
        db
          .update(rateLimit)
          .set({ count: sql`${rateLimit.count} + 10` })
          .where(eq(rateLimit.key, "b")),
      ]);
    }
    const rows = await db.select({ key: rateLimit.key, count: rateLimit.count }).from(rateLimit);
    expect(rows.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      { key: "a", count: 4 },
      { key: "b", count: 32 },
    ]);
    // A batch that fails midway rolls back, and its statements still work afterwards.
    await expect(
      db.batch([
        db.update(rateLimit).set({ count: 0 }).where(eq(rateLimit.key, "a")),
        db.insert(rateLimit).values({ key: "b", windowStart: 0, count: 1 }),
      ]),
    ).rejects.toThrow();
    const [a] = await db.select({ count: rateLimit.count }).from(rateLimit).where(eq(rateLimit.key, "a"));
    expect(a?.count).toBe(4);
  });

  it("stays bounded: many distinct statements evict the least recently used", async () => {
    const before = statementCacheStats();
    for (let i = 0; i < STATEMENTS_PER_CONNECTION + 50; i++) {
      await db.run(sql.raw(`select ${i} as n`));
    }
    await db.run(sql.raw("select 0 as n"));
    const after = statementCacheStats();
    // `select 0` was the oldest of the distinct texts, so it was evicted and prepared again.
    expect(after.misses - before.misses).toBe(STATEMENTS_PER_CONNECTION + 51);
  });
});
