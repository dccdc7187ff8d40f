import { file, userQuota } from "@signet/db";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweep } from "./services/sweeper.ts";
import { browserPut, createHarness, type Harness, ok, type TestUser } from "./testing/harness.ts";
import { png } from "./testing/images.ts";

let h: Harness;
let u: TestUser;

beforeAll(async () => {
  h = await createHarness({ rateLimitPerMinute: 3, userQuotaBytes: 100 });
  u = await h.signUp();
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

type Upload = { fileId: string; key: string; url: string; headers: Record<string, string> };
/** Asks for an upload URL as `who` (by default the file's shared user). */
const announce = (size: number, who: TestUser = u) =>
  h.trpc(
    "files.createUpload",
    { filename: "a.bin", contentType: "application/octet-stream", size },
    { token: who.token },
  );

async function reserved(userId: string) {
  const [row] = await h.db.select().from(userQuota).where(eq(userQuota.userId, userId));
  return row?.reservedBytes ?? 0;
}

describe("rate limit", () => {
  it("allows RATE_LIMIT_PER_MINUTE URL issuances per user per minute, then TOO_MANY_REQUESTS", async () => {
    h.advance(60 - ((h.now().getTime() / 1000) % 60));
    const other = await h.signUp();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(ok<Upload>(await announce(1, other)).fileId);
    const fourth = await announce(1, other);
    expect(fourth).toMatchObject({ ok: false, code: "TOO_MANY_REQUESTS", status: 429 });
    // Download, share and profile image URLs count too.
    const img = await h.trpc(
      "profile.createImageUpload",
      { contentType: "image/png", fileSize: 10 },
      { token: other.token },
    );
    expect(img).toMatchObject({ ok: false, code: "TOO_MANY_REQUESTS" });
    // Another user has their own budget; the next minute starts afresh.
    expect((await announce(1)).ok).toBe(true);
    h.advance(60);
    expect((await announce(1, other)).ok).toBe(true);
  });
});

describe("rate limit over HTTP", () => {
  it("tells tRPC and REST clients when to retry (Retry-After)", async () => {
    h.advance(60 - ((h.now().getTime() / 1000) % 60) + 15);
    const y = await h.signUp();
    const auth = { authorization: `Bearer ${y.token}`, "content-type": "application/json" };
    const body = JSON.stringify({ filename: "a", contentType: "text/plain", size: 1 });
    for (let i = 0; i < 3; i++) {
      expect(
        (await h.app.request("/trpc/files.createUpload", { method: "POST", headers: auth, body })).status,
      ).toBe(200);
    }
    const trpc = await h.app.request("/trpc/files.createUpload", { method: "POST", headers: auth, body });
    expect(trpc.status).toBe(429);
    expect(trpc.headers.get("retry-after")).toBe("45");
    const rest = await h.app.request("/api/uploads/pre-signed-url", { method: "POST", headers: auth, body });
    expect(rest.status).toBe(429);
    expect(rest.headers.get("retry-after")).toBe("45");
  });
});

describe("rate limit and quota", () => {
  it("does not count an upload refused for quota as an issued URL", async () => {
    h.advance(60 - ((h.now().getTime() / 1000) % 60));
    const x = await h.signUp();
    for (let i = 0; i < 3; i++) {
      expect(await announce(1000, x)).toMatchObject({ ok: false, code: "PAYLOAD_TOO_LARGE" });
    }
    // Three refusals issued nothing, so the minute's three issuances are all still there.
    for (let i = 0; i < 3; i++) expect((await announce(1, x)).ok).toBe(true);
    expect(await announce(1, x)).toMatchObject({ ok: false, code: "TOO_MANY_REQUESTS" });
  });
});

describe("rate limit and the profile image", () => {
  it("never refuses a completed image upload, and profile.get still loads over the limit", async () => {
    h.advance(60 - ((h.now().getTime() / 1000) % 60));
    const v = await h.signUp();
    const who = { token: v.token };
    const signed = ok<{ presignedUrl: string; headers: Record<string, string> }>(
      await h.trpc("profile.createImageUpload", { contentType: "image/png", fileSize: png().length }, who),
    );
    expect((await browserPut(signed.presignedUrl, signed.headers, png())).status).toBe(200);
    // Spend the rest of the minute's budget (3) between signing and completing.
    for (let i = 0; i < 2; i++) ok(await announce(1, v));
    const done = ok<{ hasImage: boolean; downloadUrl: string }>(
      await h.trpc("profile.completeImageUpload", undefined, who),
    );
    expect(done.hasImage).toBe(true);
    expect((await fetch(done.downloadUrl)).status).toBe(200);

    const me = ok<{ image: { hasImage: boolean; downloadUrl?: string } }>(
      await h.trpc("profile.get", undefined, who, "query"),
    );
    expect(me.image).toEqual({ hasImage: true });
    const url = await h.trpc("profile.imageDownloadUrl", undefined, who, "query");
    expect(url).toMatchObject({ ok: false, code: "TOO_MANY_REQUESTS" });
  });
});

describe("quota when signing fails", () => {
  it("gives the bytes back exactly once and leaves no phantom pending upload", async () => {
    const w = await h.signUp();
    // A real database failure after the row is written: the audit insert is refused.
    await h.db.run(
      sql.raw(
        "CREATE TRIGGER audit_down BEFORE INSERT ON audit_event WHEN NEW.actor_id = '" +
          w.id +
          "' BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END",
      ),
    );
    try {
      const failed = await announce(5, w);
      expect(failed).toMatchObject({ ok: false, code: "INTERNAL_SERVER_ERROR" });
    } finally {
      await h.db.run(sql.raw("DROP TRIGGER audit_down"));
    }
    expect(await reserved(w.id)).toBe(0);
    const rows = await h.db.select().from(file).where(eq(file.ownerId, w.id));
    expect(rows).toEqual([]);
  });
});

describe("sweeper", () => {
  it("resolves expired pending uploads: verified ones become ready, the rest are rejected and their quota released", async () => {
    const deps = { ...h.deps, config: { sweepGraceSeconds: 60 } };
    // Settle what earlier tests left pending, so the quota arithmetic below is about these two uploads only.
    h.advance(700);
    await sweep(deps);
    const before = await reserved(u.id);
    const arrived = ok<Upload>(await announce(10));
    const missing = ok<Upload>(await announce(20));
    expect((await browserPut(arrived.url, arrived.headers, new Uint8Array(10))).status).toBe(200);
    expect(await reserved(u.id)).toBe(before + 30);

    // Not yet: the URLs are still valid.
    expect(await sweep(deps)).toMatchObject({ ready: 0, rejected: 0 });
    h.advance(600 + 61);
    const result = await sweep(deps);
    expect(result).toMatchObject({ ready: 1, rejected: 1 });

    const [a] = await h.db.select().from(file).where(eq(file.id, arrived.fileId));
    const [m] = await h.db.select().from(file).where(eq(file.id, missing.fileId));
    expect(a?.status).toBe("ready");
    expect(m?.status).toBe("rejected");
    expect(await reserved(u.id)).toBe(before + 10);
    // A second pass has nothing left to do.
    expect(await sweep(deps)).toMatchObject({ ready: 0, rejected: 0 });
  });

  it("deletes abandoned profile image staging objects", async () => {
    h.advance(60);
    const signed = ok<{ presignedUrl: string; headers: Record<string, string> }>(
      await h.trpc(
        "profile.createImageUpload",
        { contentType: "image/png", fileSize: 4 },
        { token: u.token },
      ),
    );
    expect((await browserPut(signed.presignedUrl, signed.headers, new Uint8Array(4))).status).toBe(200);
    const key = decodeURIComponent(new URL(signed.presignedUrl).pathname.replace(/^\/signet\//, ""));
    expect(await h.signer.headObject(key)).not.toBeNull();
    h.advance(600 + 61);
    expect((await sweep({ ...h.deps, config: { sweepGraceSeconds: 60 } })).stagingRemoved).toBe(1);
    expect(await h.signer.headObject(key)).toBeNull();
  });
});

describe("sweeper purge", () => {
  it("deletes an object PUT after its upload was aborted, once the URL is dead", async () => {
    h.advance(60);
    const up = ok<Upload>(await announce(6));
    ok(await h.trpc("files.abortUpload", { fileId: up.fileId }, { token: u.token }));
    // The URL is still valid: a PUT racing the abort lands after the delete.
    expect((await browserPut(up.url, up.headers, new Uint8Array(6))).status).toBe(200);
    expect(await h.signer.headObject(up.key)).not.toBeNull();
    const deps = { ...h.deps, config: { sweepGraceSeconds: 60 } };
    expect((await sweep(deps)).purged).toBe(0);
    h.advance(600 + 61);
    expect((await sweep(deps)).purged).toBe(1);
    expect(await h.signer.headObject(up.key)).toBeNull();
    expect((await sweep(deps)).purged).toBe(0);
  });

  it("deletes an object PUT again with a still-valid URL after its completed file was deleted", async () => {
    h.advance(60);
    const up = ok<Upload>(await announce(7));
    expect((await browserPut(up.url, up.headers, new Uint8Array(7))).status).toBe(200);
    ok(await h.trpc("files.completeUpload", { fileId: up.fileId }, { token: u.token }));
    ok(await h.trpc("files.delete", { fileId: up.fileId }, { token: u.token }));
    // The object is gone, so If-None-Match: * lets the replayed PUT store it again, outside any quota.
    expect((await browserPut(up.url, up.headers, new Uint8Array(7))).status).toBe(200);
    const deps = { ...h.deps, config: { sweepGraceSeconds: 60 } };
    h.advance(600 + 61);
    expect((await sweep(deps)).purged).toBe(1);
    expect(await h.signer.headObject(up.key)).toBeNull();
  });

  it("deletes a profile image staging object PUT again after the upload was completed", async () => {
    h.advance(60);
    const signed = ok<{ presignedUrl: string; headers: Record<string, string> }>(
      await h.trpc(
        "profile.createImageUpload",
        { contentType: "image/png", fileSize: png(7).length },
        { token: u.token },
      ),
    );
    expect((await browserPut(signed.presignedUrl, signed.headers, png(7))).status).toBe(200);
    ok(await h.trpc("profile.completeImageUpload", undefined, { token: u.token }));
    const again = await h.trpc("profile.completeImageUpload", undefined, { token: u.token });
    expect(again).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    // The staging object was moved away, so the still-valid URL can store it again.
    expect((await browserPut(signed.presignedUrl, signed.headers, png(7))).status).toBe(200);
    const stagingKey = decodeURIComponent(new URL(signed.presignedUrl).pathname.replace(/^\/signet\//, ""));
    expect(await h.signer.headObject(stagingKey)).not.toBeNull();
    h.advance(600 + 61);
    await sweep({ ...h.deps, config: { sweepGraceSeconds: 60 } });
    expect(await h.signer.headObject(stagingKey)).toBeNull();
  });
});
