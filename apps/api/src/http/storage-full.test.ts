import { writeFile } from "node:fs/promises";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isStorageFull, STORAGE_FULL_MESSAGE } from "../services/storage-full.ts";
import { createHarness, type Harness, type TestUser } from "../testing/harness.ts";
import { UPPY_PREFIX, uppyPartSize } from "./uppy.ts";

describe("isStorageFull", () => {
  it("recognises a real ENOSPC (a write to /dev/full), also when wrapped", async () => {
    const error = await writeFile("/dev/full", "x").catch((e: unknown) => e);
    expect(isStorageFull(error)).toBe(true);
    expect(isStorageFull(new Error("Failed query", { cause: new Error("wrapper", { cause: error }) }))).toBe(
      true,
    );
  });

  it("leaves other errors alone", () => {
    expect(isStorageFull(new Error("UNIQUE constraint failed"))).toBe(false);
    expect(isStorageFull(Object.assign(new Error("denied"), { code: "EACCES" }))).toBe(false);
    expect(isStorageFull(undefined)).toBe(false);
  });
});

describe("a full database disk", () => {
  let h: Harness;
  let u: TestUser;
  beforeAll(async () => {
    h = await createHarness({ rateLimitPerMinute: 1_000_000 });
    u = await h.signUp();
    // SQLite's own limit on the file's size: past it every write fails with SQLITE_FULL, as on a full disk.
    await h.db.all(sql`PRAGMA max_page_count = 1`);
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  const input = { filename: "a.txt", contentType: "text/plain", size: 3 };

  it("answers files.createUpload with SERVICE_UNAVAILABLE and a message, and logs SQLITE_FULL", async () => {
    // The pages the database already has take a few rows more; the first write that needs a new page fails.
    let result = await h.trpc("files.createUpload", input, { token: u.token });
    for (let i = 0; result.ok && i < 1000; i++)
      result = await h.trpc("files.createUpload", input, { token: u.token });
    expect(result).toMatchObject({
      ok: false,
      status: 503,
      code: "SERVICE_UNAVAILABLE",
      message: STORAGE_FULL_MESSAGE,
    });
    const logged = h.logs.filter((entry) => entry.msg === "storage full");
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: "error", procedure: "files.createUpload" });
    expect(JSON.stringify(logged[0])).toMatch(/SQLITE_FULL|database or disk is full/);
    expect(h.logs.filter((entry) => entry.msg === "unexpected error")).toEqual([]);
  });

  it("answers the REST route with 503 in its error shape", async () => {
    const response = await h.app.request("/api/uploads/pre-signed-url", {
      method: "POST",
      headers: { authorization: `Bearer ${u.token}`, "content-type": "application/json" },
      body: JSON.stringify({ fileName: "a.txt", fileType: "text/plain", fileSize: 3 }),
    });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      code: "SERVICE_UNAVAILABLE",
      message: STORAGE_FULL_MESSAGE,
      error: { code: "SERVICE_UNAVAILABLE", message: STORAGE_FULL_MESSAGE },
    });
    expect(JSON.stringify(h.logs.filter((entry) => entry.msg === "storage full").at(-1))).toMatch(
      /SQLITE_FULL|database or disk is full/,
    );
  });

  it("answers the Uppy route with 503 too, its message as the status text Uppy shows", async () => {
    const size = 3;
    const response = await h.app.request(`${UPPY_PREFIX}/s3/multipart`, {
      method: "POST",
      headers: { authorization: `Bearer ${u.token}`, "content-type": "application/json" },
      body: JSON.stringify({
        filename: "a.txt",
        type: "text/plain",
        metadata: { size, partSize: uppyPartSize(size) },
      }),
    });
    expect(response.status).toBe(503);
    expect(response.statusText).toBe(STORAGE_FULL_MESSAGE);
    expect(await response.json()).toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      message: STORAGE_FULL_MESSAGE,
    });
    expect(h.logs.filter((entry) => entry.msg === "unexpected error")).toEqual([]);
  });
});
