import { file } from "@signet/db";
import { AwsClient } from "aws4fetch";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  browserPut,
  createHarness,
  type Harness,
  ok,
  PUBLIC_URL,
  pausedStorage,
  sha256Base64,
  type TestUser,
} from "./testing/harness.ts";
import { createInnerContext } from "./trpc/init.ts";
import { createCaller } from "./trpc/root.ts";

let h: Harness;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  h = await createHarness({ userQuotaBytes: 1000, maxFileBytes: 800 });
  [alice, bob] = await Promise.all([h.signUp(), h.signUp()]);
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

type Upload = {
  fileId: string;
  key: string;
  url: string;
  headers: Record<string, string>;
  expiresAt: string;
};

async function announce(user: TestUser, input: Record<string, unknown>): Promise<Upload> {
  const res = await h.trpc(
    "files.createUpload",
    { filename: "a.bin", contentType: "application/octet-stream", ...input },
    { token: user.token },
  );
  if (!res.ok) throw new Error(`createUpload failed: ${res.code} ${res.message}`);
  return res.data as Upload;
}

const data = (n: number) => new Uint8Array(n).map((_, i) => i % 251);

describe("authentication and ownership", () => {
  it("refuses an anonymous caller with UNAUTHORIZED", async () => {
    const res = await h.trpc("files.list", {}, null, "query");
    expect(res).toMatchObject({ ok: false, status: 401, code: "UNAUTHORIZED" });
    const rest = await h.app.request("/api/uploads/pre-signed-url", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ filename: "a.txt", contentType: "text/plain", size: 1 }),
    });
    expect(rest.status).toBe(401);
  });

  it("answers NOT_FOUND for another user's file, whatever the procedure", async () => {
    const up = await announce(alice, { size: 10 });
    for (const [path, kind] of [
      ["files.get", "query"],
      ["files.completeUpload", "mutation"],
      ["files.abortUpload", "mutation"],
      ["files.delete", "mutation"],
      ["files.downloadUrl", "query"],
    ] as const) {
      const res = await h.trpc(path, { fileId: up.fileId }, { token: bob.token }, kind);
      expect(res, path).toMatchObject({ ok: false, code: "NOT_FOUND" });
    }
    await h.trpc("files.abortUpload", { fileId: up.fileId }, { token: alice.token });
  });
});

describe("storage enforces what was signed", () => {
  it("refuses a PUT with a different size", async () => {
    const up = await announce(alice, { size: 10 });
    const res = await browserPut(up.url, up.headers, data(11));
    expect(res.status).toBeGreaterThanOrEqual(400);
    await h.trpc("files.abortUpload", { fileId: up.fileId }, { token: alice.token });
  });

  it("refuses a PUT with a different content type", async () => {
    const up = await announce(alice, { size: 10 });
    const res = await browserPut(up.url, up.headers, data(10), { "content-type": "text/html" });
    expect(res.status).toBe(403);
    await h.trpc("files.abortUpload", { fileId: up.fileId }, { token: alice.token });
  });

  it("refuses a PUT whose bytes do not match the checksum", async () => {
    const up = await announce(alice, { size: 10, checksumSha256: await sha256Base64(data(10)) });
    const other = data(10).map((b) => b ^ 1);
    const res = await browserPut(up.url, up.headers, other);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("BadDigest");
    await h.trpc("files.abortUpload", { fileId: up.fileId }, { token: alice.token });
  });

  it("refuses a PUT after the URL expired", async () => {
    const up = await announce(alice, { size: 10 });
    h.advance(601);
    const res = await browserPut(up.url, up.headers, data(10));
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("expired");
    await h.trpc("files.abortUpload", { fileId: up.fileId }, { token: alice.token });
  });
});

describe("completion verifies the object", () => {
  it("rejects when nothing was uploaded, and releases the quota", async () => {
    const up = await announce(alice, { size: 700 });
    const res = await h.trpc("files.completeUpload", { fileId: up.fileId }, { token: alice.token });
    expect(res).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(!res.ok && res.message).toMatch(/not uploaded/);
    const got = await h.trpc("files.get", { fileId: up.fileId }, { token: alice.token }, "query");
    expect(got).toMatchObject({ ok: true, data: { status: "rejected" } });
    // The 700 bytes are free again: another 700-byte upload fits in the 1000-byte quota.
    const next = await announce(alice, { size: 700 });
    await h.trpc("files.abortUpload", { fileId: next.fileId }, { token: alice.token });
  });

  it("rejects a mismatched object and deletes it", async () => {
    const up = await announce(alice, { size: 10, contentType: "image/png", filename: "x.png" });
    // Someone holding the bucket's keys writes a different object at the key; completion must not trust it.
    const aws = new AwsClient({ ...h.s3Credentials, service: "s3", region: "auto" });
    const wrong = await aws.fetch(`${h.s3.url}/signet/${up.key}`, {
      method: "PUT",
      headers: { "content-type": "text/html" },
      body: "<script>alert(1)</script>",
      aws: { datetime: amz(h.now()) },
    });
    expect(wrong.status).toBe(200);
    const res = await h.trpc("files.completeUpload", { fileId: up.fileId }, { token: alice.token });
    expect(res).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(!res.ok && res.message).toMatch(/size is 25 bytes, expected 10/);
    expect(await h.signer.headObject(up.key)).toBeNull();
    const again = await h.trpc("files.completeUpload", { fileId: up.fileId }, { token: alice.token });
    expect(again).toMatchObject({ ok: false, code: "BAD_REQUEST" });
  });

  it("aborts a pending upload: object gone, row hidden from the list", async () => {
    const up = await announce(alice, { size: 5 });
    expect((await browserPut(up.url, up.headers, data(5))).status).toBe(200);
    expect(await h.trpc("files.abortUpload", { fileId: up.fileId }, { token: alice.token })).toMatchObject({
      ok: true,
      data: { ok: true },
    });
    expect(await h.signer.headObject(up.key)).toBeNull();
    const list = await h.trpc("files.list", {}, { token: alice.token }, "query");
    expect(list.ok && (list.data as { items: { id: string }[] }).items.some((i) => i.id === up.fileId)).toBe(
      false,
    );
  });

  it("deletes a ready file and its object", async () => {
    const up = await announce(alice, { size: 5 });
    await browserPut(up.url, up.headers, data(5));
    await h.trpc("files.completeUpload", { fileId: up.fileId }, { token: alice.token });
    expect(await h.trpc("files.delete", { fileId: up.fileId }, { token: alice.token })).toMatchObject({
      ok: true,
    });
    expect(await h.signer.headObject(up.key)).toBeNull();
    const got = await h.trpc("files.get", { fileId: up.fileId }, { token: alice.token }, "query");
    expect(got).toMatchObject({ ok: false, code: "NOT_FOUND" });
  });
});

describe("limits", () => {
  it("refuses a file over MAX_FILE_BYTES and over the quota with PAYLOAD_TOO_LARGE", async () => {
    const tooBig = await h.trpc(
      "files.createUpload",
      { filename: "a", contentType: "text/plain", size: 801 },
      { token: bob.token },
    );
    expect(tooBig).toMatchObject({ ok: false, code: "PAYLOAD_TOO_LARGE", status: 413 });
    expect(!tooBig.ok && tooBig.message).toMatch(/^size:/);
    const first = await announce(bob, { size: 600 });
    const second = await h.trpc(
      "files.createUpload",
      { filename: "a", contentType: "text/plain", size: 600 },
      { token: bob.token },
    );
    expect(second).toMatchObject({ ok: false, code: "PAYLOAD_TOO_LARGE" });
    expect(!second.ok && second.message).toMatch(/quota/i);
    await h.trpc("files.abortUpload", { fileId: first.fileId }, { token: bob.token });
  });

  it("never lets concurrent reservations overshoot the quota", async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        h.trpc(
          "files.createUpload",
          { filename: "a", contentType: "text/plain", size: 300 },
          { token: bob.token },
        ),
      ),
    );
    const ok = results.filter((r) => r.ok);
    expect(ok).toHaveLength(3);
    for (const r of ok)
      await h.trpc("files.abortUpload", { fileId: (r.data as Upload).fileId }, { token: bob.token });
  });
});

describe("input validation names the field", () => {
  async function create(input: Record<string, unknown>) {
    return h.trpc(
      "files.createUpload",
      { filename: "ok.txt", contentType: "text/plain", size: 1, ...input },
      { token: alice.token },
    );
  }

  it.each([
    [{ size: 0 }, /^size:/],
    [{ size: -1 }, /^size:/],
    [{ size: "12" }, /^size:/],
    [{ size: 1.5 }, /^size:/],
    [{ contentType: "garbage" }, /^contentType:/],
    [{ contentType: "text/html\r\nx-evil: 1" }, /^contentType:/],
    [{ contentType: "" }, /^contentType:/],
    [{ filename: "a\r\nb.txt" }, /^filename:.*control/],
    [{ filename: "a\u0000b" }, /^filename:.*control/],
    [{ filename: "x".repeat(300) }, /^filename:.*255/],
    [{ filename: "../" }, /^filename:/],
    [{ checksumSha256: "abc" }, /^checksumSha256:/],
  ])("refuses %j", async (input, message) => {
    const res = await create(input);
    expect(res).toMatchObject({ ok: false, code: "BAD_REQUEST", status: 400 });
    expect(!res.ok && res.message).toMatch(message);
  });

  it("answers a size far over the limit (1e20) with PAYLOAD_TOO_LARGE naming the field", async () => {
    const res = await create({ size: 1e20 });
    expect(res).toMatchObject({ ok: false, code: "PAYLOAD_TOO_LARGE", status: 413 });
    expect(!res.ok && res.message).toMatch(/^size: at most \d+ bytes/);
  });

  it("keeps only the last path segment of a ../ filename and never lets it reach the key", async () => {
    const res = await create({ filename: "../../etc/passwd" });
    const up = ok<Upload>(res);
    expect(up.key).toBe(`u/${alice.id}/${up.fileId}`);
    const file = await h.trpc("files.get", { fileId: up.fileId }, { token: alice.token }, "query");
    expect(file).toMatchObject({ ok: true, data: { originalFilename: "passwd" } });
    await h.trpc("files.abortUpload", { fileId: up.fileId }, { token: alice.token });
  });

  it("accepts a parameterised content type and unicode, quotes in the filename, and downloads them safely", async () => {
    const name = 'naïve "quote" 😀.html';
    const body = new TextEncoder().encode("<p>hi</p>");
    const up = await announce(alice, {
      filename: name,
      contentType: "Text/HTML; Charset=utf-8",
      size: body.length,
    });
    expect(up.headers["content-type"]).toBe("text/html;charset=utf-8");
    expect((await browserPut(up.url, up.headers, body)).status).toBe(200);
    expect(await h.trpc("files.completeUpload", { fileId: up.fileId }, { token: alice.token })).toMatchObject(
      {
        ok: true,
      },
    );
    const dl = await h.trpc(
      "files.downloadUrl",
      { fileId: up.fileId, disposition: "inline" },
      { token: alice.token },
      "query",
    );
    const got = await fetch(ok<{ url: string }>(dl).url);
    const disposition = got.headers.get("content-disposition") ?? "";
    // HTML never renders inline from the bucket's origin, and the filename cannot break the header.
    expect(disposition.startsWith("attachment")).toBe(true);
    expect(got.headers.get("content-type")).toBe("application/octet-stream");
    expect(disposition).toContain(`filename*=UTF-8''${encodeURIComponent(name).replace(/'/g, "%27")}`);
    expect(disposition).not.toMatch(/[\r\n]/);
    await h.trpc("files.delete", { fileId: up.fileId }, { token: alice.token });
  });

  it("caps download TTLs: downloadUrl at DOWNLOAD_URL_TTL, shareUrl at 60..SHARE_URL_MAX_TTL", async () => {
    const up = await announce(alice, { size: 3 });
    await browserPut(up.url, up.headers, data(3));
    await h.trpc("files.completeUpload", { fileId: up.fileId }, { token: alice.token });
    const who = { token: alice.token };
    const tooLong = await h.trpc("files.downloadUrl", { fileId: up.fileId, expiresIn: 901 }, who, "query");
    expect(tooLong).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(!tooLong.ok && tooLong.message).toMatch(/^expiresIn: at most 900/);
    const shorter = await h.trpc("files.downloadUrl", { fileId: up.fileId, expiresIn: 30 }, who, "query");
    expect(shorter).toMatchObject({ ok: true, data: { expiresIn: 30 } });
    const share = await h.trpc("files.shareUrl", { fileId: up.fileId, expiresIn: 7 * 86400 }, who, "query");
    expect(share).toMatchObject({ ok: true, data: { expiresIn: 604800 } });
    expect(await fetch((share.ok && (share.data as { url: string }).url) || "")).toHaveProperty(
      "status",
      200,
    );
    for (const expiresIn of [59, 604801]) {
      const bad = await h.trpc("files.shareUrl", { fileId: up.fileId, expiresIn }, who, "query");
      expect(bad).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    }
    await h.trpc("files.delete", { fileId: up.fileId }, who);
  });
});

describe("the REST route with a bearer token", () => {
  it("signs an upload through POST /api/uploads/pre-signed-url and completes it", async () => {
    const body = data(42);
    const res = await h.app.request("/api/uploads/pre-signed-url", {
      method: "POST",
      headers: { authorization: `Bearer ${bob.token}`, "content-type": "application/json" },
      body: JSON.stringify({ fileName: "data.bin", fileType: "application/octet-stream", fileSize: 42 }),
    });
    expect(res.status).toBe(200);
    const up = (await res.json()) as Upload & { presignedUrl: string };
    expect(up.presignedUrl).toBe(up.url);
    expect((await browserPut(up.presignedUrl, up.headers, body)).status).toBe(200);
    const done = await h.trpc("files.completeUpload", { fileId: up.fileId }, { token: bob.token });
    expect(done).toMatchObject({ ok: true, data: { status: "ready", originalFilename: "data.bin" } });
    const dl = await h.trpc("files.downloadUrl", { fileId: up.fileId }, { token: bob.token }, "query");
    const got = await fetch((dl.ok && (dl.data as { url: string }).url) || "");
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(body);
    await h.trpc("files.delete", { fileId: up.fileId }, { token: bob.token });
  });

  it("answers bad input with 400 naming the field", async () => {
    const res = await h.app.request("/api/uploads/pre-signed-url", {
      method: "POST",
      headers: { authorization: `Bearer ${bob.token}`, "content-type": "application/json" },
      body: JSON.stringify({ filename: "a", contentType: "text/plain", size: "12" }),
    });
    expect(res.status).toBe(400);
    const refusal = await res.json();
    expect(refusal).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^size:/),
      field: "size",
    });
    expect((refusal as { error: { message: string } }).error.message).toMatch(/^size:/);
    for (const body of ["[1]", "null", '"text"', "{not json"]) {
      const bad = await h.app.request("/api/uploads/pre-signed-url", {
        method: "POST",
        headers: { authorization: `Bearer ${bob.token}`, "content-type": "application/json" },
        body,
      });
      expect(bad.status, body).toBe(400);
      expect(await bad.json(), body).toEqual({
        code: "BAD_REQUEST",
        message: "body: must be a JSON object",
        field: "body",
        error: { code: "BAD_REQUEST", message: "body: must be a JSON object" },
      });
    }
  });
});

describe("CSRF", () => {
  it("refuses a cookie-authenticated mutation from another origin, or with no origin at all", async () => {
    const input = { filename: "a.txt", contentType: "text/plain", size: 1 };
    const evil = await h.trpc("files.createUpload", input, {
      cookie: alice.cookie,
      origin: "https://evil.example",
    });
    // In tRPC's own error envelope, so a tRPC client sees a TRPCError with code FORBIDDEN.
    expect(evil).toMatchObject({ ok: false, status: 403, code: "FORBIDDEN" });
    const none = await h.trpc("files.createUpload", input, { cookie: alice.cookie, origin: null });
    expect(none).toMatchObject({ ok: false, status: 403, code: "FORBIDDEN" });
    const batch = await h.app.request("/trpc/files.createUpload,profile.update?batch=1", {
      method: "POST",
      headers: { cookie: alice.cookie, origin: "https://evil.example", "content-type": "application/json" },
      body: JSON.stringify({ 0: input, 1: { name: "Mallory" } }),
    });
    expect(batch.status).toBe(403);
    expect(await batch.json()).toMatchObject([
      { error: { data: { code: "FORBIDDEN", path: "files.createUpload" } } },
      { error: { data: { code: "FORBIDDEN", path: "profile.update" } } },
    ]);
    const rest = await h.app.request("/api/uploads/pre-signed-url", {
      method: "POST",
      headers: { cookie: alice.cookie, origin: "https://evil.example", "content-type": "application/json" },
      body: JSON.stringify(input),
    });
    expect(rest.status).toBe(403);
    const same = await h.trpc("files.createUpload", input, { cookie: alice.cookie, origin: PUBLIC_URL });
    expect(same.ok).toBe(true);
    // A cross-site navigation to a URL-issuing query (a GET with the Lax cookie) issues nothing.
    const fileId = (same.ok && (same.data as Upload).fileId) || "";
    const shareInput = encodeURIComponent(JSON.stringify({ fileId, expiresIn: 3600 }));
    const navigation = await h.app.request(`/trpc/files.shareUrl?input=${shareInput}`, {
      headers: { cookie: alice.cookie, "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" },
    });
    expect(navigation.status).toBe(403);
    expect(await navigation.text()).not.toContain("X-Amz-Signature");
    const fromApp = await h.app.request("/trpc/files.list", {
      headers: { cookie: alice.cookie, "sec-fetch-site": "same-origin" },
    });
    expect(fromApp.status).toBe(200);
    await h.trpc(
      "files.abortUpload",
      { fileId: (same.ok && (same.data as Upload).fileId) || "" },
      { token: alice.token },
    );
  });
});

function amz(date: Date): string {
  return date.toISOString().replace(/[:-]|\.\d{3}/g, "");
}

describe("listing", () => {
  it("pages files and audit events newest first with an opaque cursor, hiding deleted files", async () => {
    const carol = await h.signUp();
    const who = { token: carol.token };
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await announce(carol, { size: 1, filename: `f${i}.txt` })).fileId);
    await h.trpc("files.abortUpload", { fileId: ids[2] }, who);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { id: string; status: string }[]; nextCursor: string | null } = ok(
        await h.trpc("files.list", { limit: 2, ...(cursor ? { cursor } : {}) }, who, "query"),
      );
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([ids[4], ids[3], ids[1], ids[0]]);

    const audit = ok<{
      items: { action: string; fileId: string | null; at: string }[];
      nextCursor: string | null;
    }>(await h.trpc("audit.list", { limit: 3 }, who, "query"));
    expect(audit.items.map((a) => [a.action, a.fileId])).toEqual([
      ["file.abort", ids[2]],
      ["file.upload_url", ids[4]],
      ["file.upload_url", ids[3]],
    ]);
    expect(audit.nextCursor).not.toBeNull();
    const bad = await h.trpc("files.list", { cursor: "not-a-cursor!" }, who, "query");
    expect(bad).toMatchObject({ ok: false, code: "BAD_REQUEST" });
  });
});

describe("download disposition", () => {
  it("honours inline for a harmless type and forces attachment for SVG", async () => {
    const dave = await h.signUp();
    const who = { token: dave.token };
    const results: Record<string, { disposition: string; type: string | null }> = {};
    for (const [filename, contentType] of [
      ["photo.png", "image/png"],
      ["logo.svg", "image/svg+xml"],
    ] as const) {
      const up = await announce(dave, { filename, contentType, size: 4 });
      await browserPut(up.url, up.headers, data(4));
      ok(await h.trpc("files.completeUpload", { fileId: up.fileId }, who));
      const dl = ok<{ url: string }>(
        await h.trpc("files.downloadUrl", { fileId: up.fileId, disposition: "inline" }, who, "query"),
      );
      const res = await fetch(dl.url);
      results[contentType] = {
        disposition: res.headers.get("content-disposition") ?? "",
        type: res.headers.get("content-type"),
      };
      await res.body?.cancel();
    }
    expect(results["image/png"]?.disposition).toMatch(/^inline; filename="photo\.png"/);
    expect(results["image/png"]?.type).toBe("image/png");
    expect(results["image/svg+xml"]?.disposition).toMatch(/^attachment/);
    expect(results["image/svg+xml"]?.type).toBe("application/octet-stream");
  });
});

describe("completion races", () => {
  it("settles concurrent completions once: both see ready, one audit event, abort then refused", async () => {
    const erin = await h.signUp();
    const who = { token: erin.token };
    const up = await announce(erin, { size: 8 });
    await browserPut(up.url, up.headers, data(8));
    const results = await Promise.all([
      h.trpc("files.completeUpload", { fileId: up.fileId }, who),
      h.trpc("files.completeUpload", { fileId: up.fileId }, who),
      h.trpc("files.completeUpload", { fileId: up.fileId }, who),
    ]);
    for (const r of results) expect(r).toMatchObject({ ok: true, data: { status: "ready" } });
    const audit = ok<{ items: { action: string }[] }>(await h.trpc("audit.list", {}, who, "query"));
    expect(audit.items.filter((a) => a.action === "file.complete")).toHaveLength(1);
    const abort = await h.trpc("files.abortUpload", { fileId: up.fileId }, who);
    expect(abort).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(!abort.ok && abort.message).toMatch(/files\.delete/);
  });

  it("never leaves a file ready without its object when an abort or delete races the completion", async () => {
    const frank = await h.signUp();
    const actor = { id: frank.id, name: frank.name, email: frank.email };
    /** The real signer, holding `method`'s result until released, so two calls can be interleaved exactly. */
    function paused(method: "headObject" | "deleteObject") {
      const { storage, atPause, release } = pausedStorage(h.signer, method);
      const caller = createCaller(createInnerContext({ ...h.deps, storage: storage }, actor));
      return { caller, atPause, release };
    }

    for (const cancel of ["abortUpload", "delete"] as const) {
      const up = await announce(frank, { size: 8 });
      await browserPut(up.url, up.headers, data(8));
      // Completion sees the object, then the cancel deletes it, then the completion records its verdict.
      const completer = paused("headObject");
      const canceller = paused("deleteObject");
      const completing = completer.caller.files
        .completeUpload({ fileId: up.fileId })
        .catch((e: unknown) => e);
      await completer.atPause;
      const cancelling = canceller.caller.files[cancel]({ fileId: up.fileId }).catch((e: unknown) => e);
      await canceller.atPause;
      completer.release();
      const completed = await completing;
      canceller.release();
      await cancelling;

      const [row] = await h.db.select().from(file).where(eq(file.id, up.fileId));
      const object = await h.signer.headObject(up.key);
      expect({ cancel, status: row?.status, object: object !== null }).toEqual({
        cancel,
        status: "deleted",
        object: false,
      });
      expect(completed).toMatchObject({ code: "BAD_REQUEST" });
    }
  });
});
