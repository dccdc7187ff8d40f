/**
 * The file manager's procedures (issue #28): folders, rename and move without storage copies, metadata, sorted
 * and filtered keyset listing, FTS5 search, multi-delete and usage, through createCaller, REST and a real local-s3.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserPut, createHarness, type Harness, type TestUser } from "./testing/harness.ts";

let h: Harness;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  h = await createHarness({ userQuotaBytes: 100_000, rateLimitPerMinute: 10_000 });
  [alice, bob] = await Promise.all([h.signUp(), h.signUp()]);
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

const bytes = (n: number) => new Uint8Array(n).map((_, i) => i % 251);

/** Uploads a file for real (announce, PUT to local-s3, complete); returns its id and key. */
async function upload(
  user: TestUser,
  filename: string,
  extra: { folderId?: string; folderPath?: string; size?: number; contentType?: string } = {},
): Promise<{ fileId: string; key: string }> {
  const { size = 10, contentType = "application/octet-stream", ...where } = extra;
  const ticket = await h.caller(user).files.createUpload({ filename, contentType, size, ...where });
  if (ticket.plan !== "single") throw new Error("expected a single PUT");
  const put = await browserPut(ticket.url, ticket.headers, bytes(size));
  expect(put.status).toBe(200);
  await h.caller(user).files.completeUpload({ fileId: ticket.fileId });
  return { fileId: ticket.fileId, key: ticket.key };
}

async function refusal(call: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await call;
  } catch (error) {
    const e = error as { code: string; message: string };
    return { code: e.code, message: e.message };
  }
  throw new Error("expected a refusal");
}

describe("folders", () => {
  it("creates nested folders, lists them with breadcrumbs, and refuses a duplicate name", async () => {
    const api = h.caller(alice).folders;
    const docs = await api.create({ name: "Docs" });
    const y2026 = await api.create({ name: " 2026 ", parentId: docs.id });
    expect(y2026).toMatchObject({ name: "2026", path: "Docs/2026", parentId: docs.id });
    const deep = await api.create({ name: "Q1", parentId: y2026.id });
    const listing = await api.list({ folderId: deep.id });
    expect(listing.breadcrumbs.map((b) => b.name)).toEqual(["Docs", "2026", "Q1"]);
    expect((await api.list({ folderId: docs.id })).folders.map((f) => f.name)).toEqual(["2026"]);
    expect((await api.list()).folders.map((f) => f.name)).toContain("Docs");

    expect(await refusal(api.create({ name: "Docs" }))).toMatchObject({ code: "CONFLICT" });
    expect(await refusal(api.create({ name: "2026", parentId: docs.id }))).toMatchObject({
      code: "CONFLICT",
    });
    expect(await refusal(api.create({ name: "a/b" }))).toMatchObject({ code: "BAD_REQUEST" });
    expect(await refusal(api.create({ name: ".." }))).toMatchObject({ code: "BAD_REQUEST" });
    // Another user's folder is not found, never forbidden.
    expect(await refusal(h.caller(bob).folders.list({ folderId: docs.id }))).toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await refusal(api.move({ folderId: docs.id, parentId: deep.id }))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^parentId:/),
    });
  });

  it("makes the folders of a relative path once, empty ones included", async () => {
    const api = h.caller(alice).folders;
    const made = await api.ensurePath({ path: "Dropped/empty/deeper" });
    expect(made.path).toBe("Dropped/empty/deeper");
    expect((await api.ensurePath({ path: "Dropped/empty/deeper" })).id).toBe(made.id);
    expect(await refusal(api.ensurePath({ path: "/" }))).toMatchObject({ code: "BAD_REQUEST" });
  });

  it("uploads into a relative folder path, creating the folders; keys never name them", async () => {
    const a = await upload(alice, "one.txt", { folderPath: "Tree/sub/leaf" });
    const b = await upload(alice, "two.txt", { folderPath: "Tree/sub" });
    expect(a.key).toMatch(new RegExp(`^u/${alice.id}/[0-9a-f-]{36}\\.txt$`));
    const tree = (await h.caller(alice).folders.list()).folders.find((f) => f.name === "Tree");
    const sub = (await h.caller(alice).folders.list({ folderId: tree!.id })).folders[0]!;
    expect(sub.path).toBe("Tree/sub");
    const inSub = await h.caller(alice).files.list({ folderId: sub.id });
    expect(inSub.items.map((f) => f.id)).toEqual([b.fileId]);
  });

  it("renames and moves a folder of 100 files and the files in it with no storage request", async () => {
    const api = h.caller(alice);
    const big = await api.folders.create({ name: "Big" });
    const inner = await api.folders.create({ name: "inner", parentId: big.id });
    // Announced rows are enough here: what is counted is the storage traffic of rename and move.
    for (let i = 0; i < 100; i++) {
      await api.files.createUpload({
        filename: `f${i}.txt`,
        contentType: "text/plain",
        size: 1,
        folderId: inner.id,
      });
    }
    const target = await api.folders.create({ name: "Archive" });
    const before = h.s3Requests.length;
    const renamed = await api.folders.rename({ folderId: big.id, name: "Huge" });
    const moved = await api.folders.move({ folderId: renamed.id, parentId: target.id });
    const page = await api.files.list({ folderId: inner.id, limit: 100 });
    await api.files.move({ fileIds: page.items.map((f) => f.id), folderId: target.id });
    await api.files.rename({ fileId: page.items[0]!.id, filename: "renamed.txt" });
    expect(h.s3Requests.length - before).toBe(0);

    expect(moved.path).toBe("Archive/Huge");
    const innerNow = (await api.folders.list({ folderId: moved.id })).folders[0]!;
    expect(innerNow.path).toBe("Archive/Huge/inner");
    expect((await api.files.list({ folderId: target.id, limit: 100 })).items).toHaveLength(100);
    const found = await api.files.search({ query: "archive renamed" });
    expect(found.items.map((f) => f.originalFilename)).toEqual(["renamed.txt"]);
  });

  it("deletes a folder with its subfolders, files and objects only when confirmed", async () => {
    const api = h.caller(alice);
    const root = await api.folders.create({ name: "Doomed" });
    const child = await api.folders.create({ name: "child", parentId: root.id });
    const a = await upload(alice, "a.bin", { folderId: root.id });
    const b = await upload(alice, "b.bin", { folderId: child.id });
    expect(await refusal(api.folders.delete({ folderId: root.id, confirm: false as never }))).toMatchObject({
      code: "BAD_REQUEST",
    });
    const before = h.s3Requests.length;
    expect(await api.folders.delete({ folderId: root.id, confirm: true })).toEqual({
      ok: true,
      deletedFiles: 2,
      deletedFolders: 2,
    });
    const deletes = h.s3Requests.slice(before).filter((r) => r.startsWith("DELETE"));
    expect(deletes.sort()).toEqual([`DELETE /signet/${a.key}`, `DELETE /signet/${b.key}`].sort());
    expect(await refusal(api.files.get({ fileId: a.fileId }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await refusal(api.folders.list({ folderId: child.id }))).toMatchObject({ code: "NOT_FOUND" });
    expect(await h.signer.headObject(b.key)).toBeNull();
  });
});

describe("files: metadata, listing, search, multi-delete, usage", () => {
  let carol: TestUser;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    carol = await h.signUp();
    const photos = await h.caller(carol).folders.create({ name: "Photos" });
    for (const [name, size, type] of [
      ["beach.jpg", 300, "image/jpeg"],
      ["Alpha.png", 100, "image/png"],
      ["notes.txt", 200, "text/plain"],
      ["zeta.pdf", 50, "application/pdf"],
    ] as const) {
      const where = type.startsWith("image/") ? { folderId: photos.id } : {};
      ids[name] = (await upload(carol, name, { size, contentType: type, ...where })).fileId;
      h.advance(1);
    }
  });

  it("validates and normalises descriptions and tags", async () => {
    const api = h.caller(carol).files;
    const view = await api.update({
      fileId: ids["beach.jpg"]!,
      description: " Sunset ",
      tags: [" Summer", "summer", "Crète"],
    });
    expect(view).toMatchObject({ description: "Sunset", tags: ["summer", "crète"] });
    const tooMany = Array.from({ length: 21 }, (_, i) => `t${i}`);
    const res = await h.trpc(
      "files.update",
      { fileId: ids["beach.jpg"], tags: tooMany },
      { token: carol.token },
    );
    expect(res).toMatchObject({ ok: false, status: 400 });
    const long = await h.trpc(
      "files.update",
      { fileId: ids["beach.jpg"], tags: ["x".repeat(41)] },
      { token: carol.token },
    );
    expect(long).toMatchObject({ ok: false, message: expect.stringMatching(/^tags\.0:/) });
    const desc = await h.trpc(
      "files.update",
      { fileId: ids["beach.jpg"], description: "d".repeat(1001) },
      { token: carol.token },
    );
    expect(desc).toMatchObject({ ok: false, message: expect.stringMatching(/^description:/) });
  });

  it("sorts by name, size and type, filters by type and date, in keyset pages", async () => {
    const api = h.caller(carol).files;
    const names = async (input: Parameters<typeof api.list>[0]) => {
      const out: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await api.list({ ...input, limit: 1, ...(cursor ? { cursor } : {}) });
        out.push(...page.items.map((f) => f.originalFilename));
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return out;
    };
    expect(await names({ sort: "name" })).toEqual(["Alpha.png", "beach.jpg", "notes.txt", "zeta.pdf"]);
    expect(await names({ sort: "size", order: "desc" })).toEqual([
      "beach.jpg",
      "notes.txt",
      "Alpha.png",
      "zeta.pdf",
    ]);
    expect(await names({ sort: "type" })).toEqual(["zeta.pdf", "beach.jpg", "Alpha.png", "notes.txt"]);
    expect(await names({})).toEqual(["zeta.pdf", "notes.txt", "Alpha.png", "beach.jpg"]);
    expect(await names({ type: "image", sort: "name" })).toEqual(["Alpha.png", "beach.jpg"]);
    expect(await names({ type: "text/plain" })).toEqual(["notes.txt"]);
    expect(await names({ folderId: "root", sort: "name" })).toEqual(["notes.txt", "zeta.pdf"]);
    const notes = await api.get({ fileId: ids["notes.txt"]! });
    expect(await names({ createdFrom: notes.createdAt, sort: "name" })).toEqual(["notes.txt", "zeta.pdf"]);
    expect(await names({ createdTo: notes.createdAt, sort: "name" })).toEqual(["Alpha.png", "beach.jpg"]);

    const first = await api.list({ sort: "name", limit: 1 });
    expect(await refusal(api.list({ sort: "size", cursor: first.nextCursor! }))).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^cursor:/),
    });
    const rest = await h.app.request("/api/files?sort=size&order=desc&type=image&limit=1", {
      headers: { authorization: `Bearer ${carol.token}` },
    });
    expect(rest.status).toBe(200);
    expect(
      ((await rest.json()) as { items: { originalFilename: string }[] }).items[0]?.originalFilename,
    ).toBe("beach.jpg");
    const bad = await h.app.request("/api/files?sort=colour", {
      headers: { authorization: `Bearer ${carol.token}` },
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { field?: string }).field).toBe("sort");
  });

  it("searches names, folder paths, tags and descriptions by prefix, and treats FTS syntax as text", async () => {
    const api = h.caller(carol).files;
    const search = async (query: string) =>
      (await api.search({ query, sort: "name" })).items.map((f) => f.originalFilename);
    expect(await search("bea")).toEqual(["beach.jpg"]);
    expect(await search("photos")).toEqual(["Alpha.png", "beach.jpg"]);
    expect(await search("summer")).toEqual(["beach.jpg"]);
    expect(await search("crete sunset")).toEqual(["beach.jpg"]);
    expect(await search("photos alpha")).toEqual(["Alpha.png"]);
    for (const hostile of ['"', 'a" OR "b', "NEAR(a b)", "name:beach", "-beach", "beach*^", "*", "AND"]) {
      // Either a page or a clear BAD_REQUEST naming the query, never a database error.
      const out = await api.search({ query: hostile }).then(
        () => "page",
        (e: { code: string; message: string }) => `${e.code} ${e.message.split(":")[0]}`,
      );
      expect(["page", "BAD_REQUEST query"], hostile).toContain(out);
    }
    expect(await search("name:beach")).toEqual([]);
    expect(await search("beach*^")).toEqual(["beach.jpg"]);
    expect(await refusal(api.search({ query: "*" }))).toMatchObject({
      code: "BAD_REQUEST",
      message: /^query:/,
    });
    // Newest first by default, in keyset pages.
    const newest: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.search({ query: "photos", limit: 1, ...(cursor ? { cursor } : {}) });
      newest.push(...page.items.map((f) => f.originalFilename));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(newest).toEqual(["Alpha.png", "beach.jpg"]);
    expect(await refusal(api.search({ query: "photos", cursor: "n1x" }))).toMatchObject({
      code: "BAD_REQUEST",
    });
    // Bob's search never sees Carol's files.
    expect((await h.caller(bob).files.search({ query: "beach" })).items).toEqual([]);
    const rest = await h.app.request(`/api/search?query=${encodeURIComponent("not")}`, {
      headers: { authorization: `Bearer ${carol.token}` },
    });
    expect(((await rest.json()) as { items: { id: string }[] }).items.map((f) => f.id)).toEqual([
      ids["notes.txt"],
    ]);
  });

  it("answers usage: used, in flight and the limit", async () => {
    const api = h.caller(carol).files;
    expect(await api.usage()).toEqual({
      usedBytes: 650,
      reservedBytes: 0,
      limitBytes: 100_000,
      uploadsInFlight: 0,
    });
    const pending = await api.createUpload({
      filename: "big.bin",
      contentType: "application/octet-stream",
      size: 1000,
    });
    expect(await api.usage()).toEqual({
      usedBytes: 650,
      reservedBytes: 1000,
      limitBytes: 100_000,
      uploadsInFlight: 1,
    });
    await api.abortUpload({ fileId: pending.fileId });
    expect((await api.usage()).reservedBytes).toBe(0);
  });

  it("deletes many files and their objects at once, skipping ids that are not the caller's", async () => {
    const api = h.caller(carol).files;
    const keys = await Promise.all(
      [ids["notes.txt"]!, ids["zeta.pdf"]!].map(async (id) => (await api.get({ fileId: id })).id),
    );
    const bobs = await upload(bob, "bob.txt");
    const before = h.s3Requests.length;
    const out = await api.deleteMany({ fileIds: [...keys, bobs.fileId] });
    expect(out).toEqual({ deleted: 2, notFound: [bobs.fileId] });
    expect(h.s3Requests.slice(before).filter((r) => r.startsWith("DELETE"))).toHaveLength(2);
    expect(await h.signer.headObject(bobs.key)).not.toBeNull();
    expect((await api.usage()).usedBytes).toBe(400);
  });
});
