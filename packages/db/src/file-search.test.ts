/**
 * The hand-written FTS5 migration (drizzle/0011_file_search.sql) on each backend: libSQL and workerd's D1. Its
 * triggers keep `file_search` in step with file names, tags, descriptions and folder paths.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq, sql } from "drizzle-orm";
import { Miniflare } from "miniflare";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { closeDb, createDb, type Database, file, folder, user } from "./index.ts";
import { migrate } from "./migrate.ts";

let dir: string;
let mf: Miniflare;
let d1Count = 0;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "signet-fts-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});
beforeAll(async () => {
  mf = new Miniflare({
    modules: true,
    script: "export default { fetch: () => new Response(null) }",
    compatibilityDate: "2026-04-20",
    d1Databases: { DB0: "fts-0", DB1: "fts-1" },
  });
  await mf.ready;
}, 60_000);
afterAll(async () => {
  await mf?.dispose();
});

const backends: { name: string; open: () => Promise<Database> }[] = [
  { name: "libSQL file", open: () => createDb({ url: `file:${join(dir, "test.db")}` }) },
  { name: "D1", open: async () => createDb({ d1: await mf.getD1Database(`DB${d1Count++}`) }) },
];

const at = new Date(1_800_000_000_000);

/** File names matching an FTS5 query, as the search service runs it (joined back through search_rowid). */
async function matching(db: Database, query: string): Promise<string[]> {
  const rows = await db.all<{ name: string }>(
    sql`select ${file.originalFilename} as name from file_search join ${file} on ${file.searchRowid} = file_search.rowid
        where file_search match ${query} order by name`,
  );
  return rows.map((r) => r.name);
}

describe.each(backends)("file_search on $name", ({ open }) => {
  it("indexes names, folder paths, tags and descriptions, and follows every change", async () => {
    const db = await open();
    try {
      await migrate(db);
      await db.insert(user).values({ id: "u1", name: "U", email: "u@example.com" });
      await db
        .insert(folder)
        .values({ id: "f1", ownerId: "u1", name: "Holidays", path: "Holidays", createdAt: at });
      const row = (id: string, name: string, extra: Partial<typeof file.$inferInsert> = {}) => ({
        id,
        ownerId: "u1",
        key: `u/u1/${id}`,
        originalFilename: name,
        contentType: "image/jpeg",
        size: 1,
        createdAt: at,
        uploadExpiresAt: at,
        ...extra,
      });
      await db
        .insert(file)
        .values([
          row("a", "beach_sunset.jpg", { folderId: "f1", tags: ["summer", "crète"] }),
          row("b", "report.pdf", { description: "Quarterly numbers" }),
        ]);

      expect(await matching(db, '"beach"*')).toEqual(["beach_sunset.jpg"]);
      expect(await matching(db, 'path : "holi"*')).toEqual(["beach_sunset.jpg"]);
      expect(await matching(db, 'tags : "crete"')).toEqual(["beach_sunset.jpg"]);
      expect(await matching(db, '"quarterly"')).toEqual(["report.pdf"]);

      await db
        .update(file)
        .set({ originalFilename: "annual.pdf", tags: ["finance"] })
        .where(eq(file.id, "b"));
      expect(await matching(db, '"report"')).toEqual([]);
      expect(await matching(db, '"annual" "finance"')).toEqual(["annual.pdf"]);

      await db.update(folder).set({ name: "Trips", path: "Trips" }).where(eq(folder.id, "f1"));
      expect(await matching(db, 'path : "holidays"')).toEqual([]);
      expect(await matching(db, 'path : "trips"')).toEqual(["beach_sunset.jpg"]);

      await db.update(file).set({ folderId: null }).where(eq(file.id, "a"));
      expect(await matching(db, 'path : "trips"')).toEqual([]);

      await db.delete(file).where(eq(file.id, "a"));
      expect(await matching(db, '"beach"')).toEqual([]);
      const [count] = await db.all<{ n: number }>(sql`select count(*) as n from file_search`);
      expect(count?.n).toBe(1);
    } finally {
      closeDb(db);
    }
  });
});
