/**
 * The Uppy routes (Companion's S3 routes as @uppy/aws-s3 v6 calls them) against the real app, local-s3 and a
 * libSQL file: the calls in the order Uppy makes them, the refusals it shows as status text, and the owner rule.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  browserPut,
  createHarness,
  type Harness,
  ok,
  PUBLIC_URL,
  type TestUser,
} from "../testing/harness.ts";

const MiB = 1024 * 1024;
let h: Harness;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  h = await createHarness({ maxFileBytes: 64 * MiB });
  alice = await h.signUp();
  bob = await h.signUp();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

type Who = { cookie: string } | { token: string } | null;

/** A request as Uppy's Companion client sends it from the page (cookie + same origin), or a script (bearer). */
async function uppy(method: string, path: string, who: Who, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (who && "cookie" in who) {
    headers.cookie = who.cookie;
    headers.origin = PUBLIC_URL;
  }
  if (who && "token" in who) headers.authorization = `Bearer ${who.token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  return h.app.request(`/api/uppy/s3${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
}

const cookieOf = (user: TestUser) => ({ cookie: user.cookie });

function patterned(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    bytes[i] = x >>> 24;
  }
  return bytes;
}

/** What the example page sends: the filename, the type, and the file's size and part size in its meta. */
function createBody(name: string, type: string, size: number, extra: Record<string, unknown> = {}) {
  // Signet's part size for every file below 160 GiB.
  return { filename: name, type, metadata: { name, type, size, partSize: 16 * MiB, ...extra } };
}

async function json<T>(response: Response): Promise<T> {
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}: ${text}`);
  return JSON.parse(text) as T;
}

/** Uploads `bytes` through the routes exactly as Uppy does; returns the file id. */
async function uploadAsUppy(user: Who, name: string, type: string, bytes: Uint8Array): Promise<string> {
  const { uploadId, key } = await json<{ uploadId: string; key: string }>(
    await uppy("POST", "/multipart", user, createBody(name, type, bytes.length)),
  );
  const partSize = 16 * MiB;
  const etags: { PartNumber: number; ETag: string }[] = [];
  for (let n = 1; (n - 1) * partSize < bytes.length; n++) {
    const signed = await json<{ url: string; headers: Record<string, string>; expires: number }>(
      await uppy("GET", `/multipart/${uploadId}/${n}?key=${key}`, user),
    );
    expect(signed.expires).toBeGreaterThan(0);
    // Uppy sends no header but what the browser adds: the URL must sign nothing else.
    expect(Object.keys(signed.headers)).toEqual(["content-length"]);
    const put = await fetch(signed.url, {
      method: "PUT",
      body: bytes.subarray((n - 1) * partSize, n * partSize) as BodyInit,
    });
    expect(put.status).toBe(200);
    etags.push({ PartNumber: n, ETag: put.headers.get("etag") ?? "" });
  }
  const done = await json<{ location: string; key: string; status: string }>(
    await uppy("POST", `/multipart/${uploadId}/complete?key=${key}`, user, { parts: etags }),
  );
  expect(done).toMatchObject({
    key: uploadId,
    status: "ready",
    location: `${PUBLIC_URL}/api/files/${uploadId}`,
  });
  return uploadId;
}

/** Whether the file downloads as exactly `bytes` (one plain comparison: toEqual on megabytes takes seconds). */
async function downloadsAs(user: TestUser, fileId: string, bytes: Uint8Array): Promise<boolean> {
  const link = ok<{ url: string }>(
    await h.trpc("files.downloadUrl", { fileId }, { token: user.token }, "query"),
  );
  return Buffer.from(await (await fetch(link.url)).arrayBuffer()).equals(bytes);
}

describe("uploads through Uppy's routes", () => {
  it("uploads a small file as one part; it is ready, audited by name and downloads byte-identical", async () => {
    const bytes = patterned(3000, 1);
    const fileId = await uploadAsUppy(cookieOf(alice), "notes.txt", "text/plain", bytes);
    const row = ok<{ status: string; size: number; contentType: string }>(
      await h.trpc("files.get", { fileId }, { token: alice.token }, "query"),
    );
    expect(row).toMatchObject({ status: "ready", size: 3000, contentType: "text/plain" });
    expect(await downloadsAs(alice, fileId, bytes)).toBe(true);
    const audit = ok<{ items: { action: string; fileId: string | null; detail: { filename?: string } }[] }>(
      await h.trpc("audit.list", {}, { token: alice.token }, "query"),
    );
    const mine = audit.items.filter((e) => e.fileId === fileId);
    expect(mine.map((e) => e.action).sort()).toEqual([
      "file.complete",
      "file.download_url",
      "file.upload_url",
    ]);
    expect(mine.every((e) => e.detail.filename === "notes.txt")).toBe(true);
  });

  it("uploads a file in several parts with a bearer token; ListParts shows what arrived, with ETags", async () => {
    const bytes = patterned(20 * MiB, 2);
    const who = { token: alice.token };
    const { uploadId } = await json<{ uploadId: string }>(
      await uppy("POST", "/multipart", who, createBody("clip.mp4", "video/mp4", bytes.length)),
    );
    const second = await json<{ url: string }>(await uppy("GET", `/multipart/${uploadId}/2`, who));
    expect(
      (await fetch(second.url, { method: "PUT", body: bytes.subarray(16 * MiB) as BodyInit })).status,
    ).toBe(200);
    const listed = await json<{ PartNumber: number; Size: number; ETag: string }[]>(
      await uppy("GET", `/multipart/${uploadId}?key=${uploadId}`, who),
    );
    expect(listed).toEqual([{ PartNumber: 2, Size: 4 * MiB, ETag: expect.stringMatching(/.+/) }]);

    // Completing early names the missing part, and the upload stays open for it.
    const early = await uppy("POST", `/multipart/${uploadId}/complete`, who, { parts: [] });
    expect(early.status).toBe(400);
    expect(early.statusText).toMatch(/part 1 has not arrived/);

    const first = await json<{ url: string }>(await uppy("GET", `/multipart/${uploadId}/1`, who));
    expect(
      (await fetch(first.url, { method: "PUT", body: bytes.subarray(0, 16 * MiB) as BodyInit })).status,
    ).toBe(200);
    // The ETags Uppy reports are not trusted (here: wrong ones); the server completes with those it lists.
    const done = await uppy("POST", `/multipart/${uploadId}/complete`, who, {
      parts: [
        { PartNumber: 1, ETag: '"bogus"' },
        { PartNumber: 2, ETag: '"bogus"' },
      ],
    });
    expect(await json(done)).toMatchObject({ status: "ready" });
    expect(await downloadsAs(alice, uploadId, bytes)).toBe(true);
  });

  it("signs each part for its exact length: other bytes are refused by the storage", async () => {
    const who = cookieOf(alice);
    const { uploadId } = await json<{ uploadId: string }>(
      await uppy("POST", "/multipart", who, createBody("short.bin", "application/octet-stream", 5000)),
    );
    const part = await json<{ url: string }>(await uppy("GET", `/multipart/${uploadId}/1`, who));
    expect((await fetch(part.url, { method: "PUT", body: patterned(4999, 3) as BodyInit })).status).toBe(403);
    expect((await uppy("GET", `/multipart/${uploadId}/2`, who)).statusText).toMatch(
      /partNumber: this upload has parts 1\.\.1 \(got 2\)/,
    );
  });

  it("an abort deletes the upload and gives the quota back", async () => {
    const who = cookieOf(alice);
    const before = ok<{ items: unknown[] }>(await h.trpc("files.list", {}, { token: alice.token }, "query"));
    const { uploadId } = await json<{ uploadId: string }>(
      await uppy("POST", "/multipart", who, createBody("gone.bin", "application/octet-stream", 1000)),
    );
    const part = await json<{ url: string }>(await uppy("GET", `/multipart/${uploadId}/1`, who));
    await browserPut(part.url, {}, patterned(1000, 4));
    expect(await json(await uppy("DELETE", `/multipart/${uploadId}?key=${uploadId}`, who))).toEqual({});
    const after = ok<{ items: { id: string }[] }>(
      await h.trpc("files.list", {}, { token: alice.token }, "query"),
    );
    expect(after.items.length).toBe(before.items.length);
    expect(after.items.some((f) => f.id === uploadId)).toBe(false);
    expect((await uppy("GET", `/multipart/${uploadId}/1`, who)).status).toBe(404);
  });

  it("takes a completion listing 10,000 parts (its body is never read, so the JSON body limit does not apply)", async () => {
    const who = cookieOf(alice);
    const bytes = patterned(100, 5);
    const { uploadId } = await json<{ uploadId: string }>(
      await uppy("POST", "/multipart", who, createBody("many.bin", "application/octet-stream", bytes.length)),
    );
    const part = await json<{ url: string }>(await uppy("GET", `/multipart/${uploadId}/1`, who));
    await browserPut(part.url, {}, bytes);
    const parts = Array.from({ length: 10_000 }, (_, i) => ({
      PartNumber: i + 1,
      ETag: `"${"a".repeat(32)}"`,
    }));
    expect(await json(await uppy("POST", `/multipart/${uploadId}/complete`, who, { parts }))).toMatchObject({
      status: "ready",
    });
  });
});

describe("refusals, as Uppy shows them (status text) and as scripts read them (JSON)", () => {
  async function refused(response: Response, status: number, message: RegExp, field?: string) {
    expect(response.status).toBe(status);
    expect(response.statusText).toMatch(message);
    const body = (await response.json()) as { message: string; field?: string };
    expect(body.message).toMatch(message);
    if (field) expect(body.field).toBe(field);
  }

  it("a file over the size limit: 413 naming the limit, nothing announced", async () => {
    const before = ok<{ items: unknown[] }>(await h.trpc("files.list", {}, { token: alice.token }, "query"));
    const body = createBody("huge.iso", "application/octet-stream", 64 * MiB + 1, { partSize: 16 * MiB });
    await refused(
      await uppy("POST", "/multipart", cookieOf(alice), body),
      413,
      /size: at most 67108864 bytes per file/,
      "size",
    );
    const after = ok<{ items: unknown[] }>(await h.trpc("files.list", {}, { token: alice.token }, "query"));
    expect(after.items.length).toBe(before.items.length);
  });

  it("a type Signet refuses: 400 naming the field", async () => {
    await refused(
      await uppy("POST", "/multipart", cookieOf(alice), createBody("a.bin", "not a type", 10)),
      400,
      /^body\.type: must be a MIME type/,
      "body.type",
    );
  });

  it("a stock Dashboard (no size, Uppy's own chunks, single uploads) is told what to set", async () => {
    const who = cookieOf(alice);
    await refused(
      await uppy("POST", "/multipart", who, {
        filename: "a.txt",
        type: "text/plain",
        metadata: { name: "a.txt" },
      }),
      400,
      /^metadata\.size: Signet needs each file's size/,
    );
    await refused(
      await uppy("POST", "/multipart", who, createBody("a.txt", "text/plain", 10, { partSize: 5 * MiB })),
      400,
      /^metadata\.partSize: Signet uploads this file in parts of 16777216 bytes.*\(got 5242880\)/,
    );
    await refused(
      await uppy("GET", "/params?filename=a.txt&type=text%2Fplain", who),
      400,
      /^shouldUseMultipart: Signet takes Uppy uploads in parts only/,
    );
  });

  it("tells the page the part size to chunk with, the one the create route then takes", async () => {
    const who = cookieOf(alice);
    const partSize = async (size: string) =>
      h.app.request(`/api/uppy/part-size?size=${size}`, { headers: { cookie: who.cookie } });
    expect(await json(await partSize("10"))).toEqual({ partSize: 16 * MiB });
    // Past 160 GiB the parts grow (whole MiB) so that the file stays within 10,000 of them.
    expect(await json(await partSize(String(200 * 1024 * MiB)))).toEqual({ partSize: 21 * MiB });
    const told = await json<{ partSize: number }>(await partSize(String(20 * MiB)));
    const created = await uppy(
      "POST",
      "/multipart",
      who,
      createBody("told.bin", "application/octet-stream", 20 * MiB, { partSize: told.partSize }),
    );
    const { uploadId } = await json<{ uploadId: string }>(created);
    expect(await json(await uppy("DELETE", `/multipart/${uploadId}?key=${uploadId}`, who))).toEqual({});
    await refused(await partSize("lots"), 400, /^size: /);
    await refused(await h.app.request("/api/uppy/part-size?size=10"), 401, /./);
  });

  it("malformed input names the field", async () => {
    const who = cookieOf(alice);
    await refused(await uppy("POST", "/multipart", who, "{"), 400, /^body: /);
    await refused(await uppy("GET", "/multipart/not-an-id/1", who), 400, /^uploadId: must be a file id/);
    const { uploadId } = await json<{ uploadId: string }>(
      await uppy("POST", "/multipart", who, createBody("k.bin", "application/octet-stream", 10)),
    );
    await refused(await uppy("GET", `/multipart/${uploadId}/0`, who), 400, /^partNumber: must be at least 1/);
    await refused(
      await uppy("GET", `/multipart/${uploadId}/1?key=u/other/key.bin`, who),
      400,
      /^key: not the key of this upload/,
    );
  });

  it("needs a signed-in caller, an upload-scoped API key, and the app's own origin for cookie changes", async () => {
    await refused(
      await uppy("POST", "/multipart", null, createBody("a.txt", "text/plain", 10)),
      401,
      /Sign in/,
    );
    const key = ok<{ key: string }>(
      await h.trpc("apiKeys.create", { name: "reader", scope: "read" }, { cookie: alice.cookie }),
    );
    await refused(
      await uppy("POST", "/multipart", { token: key.key }, createBody("a.txt", "text/plain", 10)),
      403,
      /^This API key's scope is 'read'; files\.createUpload needs 'upload'$/,
    );
    // The one authorize step: tRPC answers the same key with the same words.
    const overTrpc = await h.trpc(
      "files.createUpload",
      { filename: "a.txt", contentType: "text/plain", size: 10 },
      { token: key.key },
    );
    expect(overTrpc).toMatchObject({
      code: "FORBIDDEN",
      message: "This API key's scope is 'read'; files.createUpload needs 'upload'",
    });
    const crossSite = await h.app.request("/api/uppy/s3/multipart", {
      method: "POST",
      headers: { cookie: alice.cookie, origin: "https://evil.example", "content-type": "application/json" },
      body: JSON.stringify(createBody("a.txt", "text/plain", 10)),
    });
    expect(crossSite.status).toBe(403);
  });
});

describe("another user's upload", () => {
  it("cannot be signed, listed, completed or aborted through these routes, and stays intact", async () => {
    const bytes = patterned(2000, 6);
    const { uploadId } = await json<{ uploadId: string }>(
      await uppy("POST", "/multipart", cookieOf(alice), createBody("mine.txt", "text/plain", bytes.length)),
    );
    const part = await json<{ url: string }>(await uppy("GET", `/multipart/${uploadId}/1`, cookieOf(alice)));
    await browserPut(part.url, {}, bytes);

    const asBob = cookieOf(bob);
    for (const [method, path] of [
      ["GET", `/multipart/${uploadId}/1`],
      ["GET", `/multipart/${uploadId}?key=${uploadId}`],
      ["POST", `/multipart/${uploadId}/complete?key=${uploadId}`],
      ["DELETE", `/multipart/${uploadId}?key=${uploadId}`],
    ] as const) {
      const response = await uppy(method, path, asBob, method === "POST" ? { parts: [] } : undefined);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.statusText).toBe(`fileId: no file ${uploadId}`);
    }
    expect(
      ok<{ status: string }>(
        await h.trpc("files.get", { fileId: uploadId }, { token: alice.token }, "query"),
      ),
    ).toMatchObject({ status: "pending" });
    await json(await uppy("POST", `/multipart/${uploadId}/complete`, cookieOf(alice), { parts: [] }));
    expect(await downloadsAs(alice, uploadId, bytes)).toBe(true);
  });
});

describe("the same rate limit and quota as files.createUpload", () => {
  it("refuses past the per-minute issuances (429, Retry-After) and past the quota (413)", async () => {
    await using limited = await createHarness({ rateLimitPerMinute: 2, userQuotaBytes: 1000 });
    const carol = await limited.signUp();
    const create = (name: string, size: number) =>
      limited.app.request("/api/uppy/s3/multipart", {
        method: "POST",
        headers: { authorization: `Bearer ${carol.token}`, "content-type": "application/json" },
        body: JSON.stringify(createBody(name, "text/plain", size)),
      });
    const overQuota = await create("big.txt", 1001);
    expect(overQuota.status).toBe(413);
    expect(overQuota.statusText).toMatch(/quota/i);
    expect((await create("a.txt", 10)).status).toBe(200);
    expect((await create("b.txt", 10)).status).toBe(200);
    const third = await create("c.txt", 10);
    expect(third.status).toBe(429);
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(third.statusText).not.toBe("");
  });
});
