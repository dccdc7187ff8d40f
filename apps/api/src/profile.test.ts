import { user } from "@signet/db";
import { createSigner } from "@signet/signer";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  browserPut,
  createHarness,
  type Harness,
  ok,
  PUBLIC_URL,
  pausedStorage,
  type TestUser,
} from "./testing/harness.ts";
import { html, jpeg, png, svg, truncatedPng } from "./testing/images.ts";
import { createInnerContext } from "./trpc/init.ts";
import { createCaller } from "./trpc/root.ts";

let h: Harness;

beforeAll(async () => {
  h = await createHarness({ maxAvatarBytes: 4096 });
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

type ImageUpload = { presignedUrl: string; headers: Record<string, string>; key: string; method: string };
type ImageUrl = { hasImage: true; downloadUrl: string; filename: string; expiresIn: number };

async function upload(u: TestUser, bytes: Uint8Array, contentType: string) {
  const signed = ok<ImageUpload>(
    await h.trpc("profile.createImageUpload", { contentType, fileSize: bytes.length }, { token: u.token }),
  );
  const put = await browserPut(signed.presignedUrl, signed.headers, bytes);
  expect(put.status).toBe(200);
  return { signed, complete: await h.trpc("profile.completeImageUpload", undefined, { token: u.token }) };
}

async function bytesAt(url: string) {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return {
    bytes: new Uint8Array(await res.arrayBuffer()),
    disposition: res.headers.get("content-disposition"),
  };
}

describe("profile image", () => {
  it("uploads, overwrites with a new URL, survives a name change, and is removed", async () => {
    const u = await h.signUp();
    const who = { cookie: u.cookie };
    expect(ok(await h.trpc("profile.imageDownloadUrl", undefined, who, "query"))).toEqual({
      hasImage: false,
    });

    const first = await upload(u, png(1), "image/png");
    const firstUrl = ok<ImageUrl>(first.complete);
    expect(firstUrl).toMatchObject({ hasImage: true, expiresIn: 3600 });
    expect(first.signed.key).toMatch(/^[0-9a-f-]{36}$/);
    const firstGot = await bytesAt(firstUrl.downloadUrl);
    expect(firstGot.bytes).toEqual(png(1));
    expect(firstGot.disposition).toMatch(/^inline/);

    h.advance(1);
    const second = await upload(u, jpeg(), "image/jpeg");
    const secondUrl = ok<ImageUrl>(second.complete);
    expect(second.signed.key).toBe(first.signed.key);
    expect(secondUrl.downloadUrl).not.toBe(firstUrl.downloadUrl);
    expect((await bytesAt(secondUrl.downloadUrl)).bytes).toEqual(jpeg());

    ok(await h.trpc("profile.update", { name: "  New Name " }, who));
    const profile = ok<{ name: string; email: string; image: { hasImage: boolean } }>(
      await h.trpc("profile.get", undefined, who, "query"),
    );
    expect(profile).toMatchObject({ id: u.id, name: "New Name", email: u.email, image: { hasImage: true } });
    const [row] = await h.db.select().from(user).where(eq(user.id, u.id));
    expect(row?.image).toBe(first.signed.key);

    expect(ok(await h.trpc("profile.removeImage", undefined, who))).toEqual({ hasImage: false });
    expect(await h.signer.headObject(first.signed.key)).toBeNull();
    expect(ok(await h.trpc("profile.imageDownloadUrl", undefined, who, "query"))).toEqual({
      hasImage: false,
    });
  });

  it.each([
    ["an SVG declared as PNG", svg(), "image/png"],
    ["HTML renamed .png", html(), "image/png"],
    ["a truncated PNG", truncatedPng(), "image/png"],
    ["a PNG declared as JPEG", png(), "image/jpeg"],
  ])("refuses %s and keeps the previous image", async (_name, bytes, type) => {
    const u = await h.signUp();
    const good = ok<ImageUrl>((await upload(u, png(7), "image/png")).complete);
    const bad = await upload(u, bytes, type);
    expect(bad.complete).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(!bad.complete.ok && bad.complete.message).toMatch(/Profile image refused/);
    // The staging object is gone, the previous image still served.
    const staging = new URL(bad.signed.presignedUrl).pathname.replace(/^\/signet\//, "");
    expect(await h.signer.headObject(decodeURIComponent(staging))).toBeNull();
    expect((await bytesAt(good.downloadUrl)).bytes).toEqual(png(7));
    const now = ok<ImageUrl>(
      await h.trpc("profile.imageDownloadUrl", undefined, { token: u.token }, "query"),
    );
    expect((await bytesAt(now.downloadUrl)).bytes).toEqual(png(7));
  });

  it("refuses non-image types and oversize images before signing", async () => {
    const u = await h.signUp();
    for (const contentType of ["image/svg+xml", "text/html", "application/octet-stream", "image/png; x=1"]) {
      const res = await h.trpc(
        "profile.createImageUpload",
        { contentType, fileSize: 10 },
        { token: u.token },
      );
      expect(res, contentType).toMatchObject({ ok: false, code: "BAD_REQUEST" });
      expect(!res.ok && res.message).toMatch(/^contentType:/);
    }
    const big = await h.trpc(
      "profile.createImageUpload",
      { contentType: "image/png", fileSize: 4097 },
      { token: u.token },
    );
    expect(big).toMatchObject({ ok: false, code: "PAYLOAD_TOO_LARGE" });
    expect(!big.ok && big.message).toMatch(/^fileSize:/);
  });

  it("assigns one key to 50 concurrent first calls", async () => {
    const u = await h.signUp();
    const caller = h.caller(u);
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        caller.profile.createImageUpload({ contentType: "image/png", fileSize: 100 }),
      ),
    );
    expect(new Set(results.map((r) => r.key)).size).toBe(1);
    expect(new Set(results.map((r) => r.presignedUrl)).size).toBe(50);
  });

  it("never lets Better Auth's sign-up or update-user set the image key", async () => {
    const victim = await h.signUp();
    const key = ok<ImageUpload>(
      await h.trpc(
        "profile.createImageUpload",
        { contentType: "image/png", fileSize: 10 },
        { token: victim.token },
      ),
    ).key;
    const attacker = await h.signUp();
    const res = await h.app.request("/api/auth/update-user", {
      method: "POST",
      headers: { cookie: attacker.cookie, origin: PUBLIC_URL, "content-type": "application/json" },
      body: JSON.stringify({ image: key, name: "Mallory" }),
    });
    expect(res.status).toBe(200);
    const [row] = await h.db.select().from(user).where(eq(user.id, attacker.id));
    expect(row).toMatchObject({ name: "Mallory", image: null });
    await h.app.request("/api/auth/update-user", {
      method: "POST",
      headers: { cookie: attacker.cookie, origin: PUBLIC_URL, "content-type": "application/json" },
      body: JSON.stringify({ image: key }),
    });
    const [after] = await h.db.select().from(user).where(eq(user.id, attacker.id));
    expect(after?.image).toBeNull();
    const signUp = await h.app.request("/api/auth/sign-up/email", {
      method: "POST",
      headers: { origin: PUBLIC_URL, "content-type": "application/json" },
      body: JSON.stringify({
        email: "img@example.com",
        password: "correct horse battery",
        name: "I",
        image: key,
      }),
    });
    expect(signUp.status).toBe(200);
    const [created] = await h.db.select().from(user).where(eq(user.email, "img@example.com"));
    expect(created?.image).toBeNull();
  });

  it("audits a name change made through Better Auth's update-user like profile.update", async () => {
    const u = await h.signUp();
    await h.app.request("/api/auth/sign-in/email", {
      method: "POST",
      headers: { origin: PUBLIC_URL, "content-type": "application/json" },
      body: JSON.stringify({ email: u.email, password: "correct horse battery" }),
    });
    // Signing up and in are not profile changes.
    expect(
      ok<{ items: unknown[] }>(await h.trpc("audit.list", {}, { token: u.token }, "query")).items,
    ).toEqual([]);
    const res = await h.app.request("/api/auth/update-user", {
      method: "POST",
      headers: { cookie: u.cookie, origin: PUBLIC_URL, "content-type": "application/json" },
      body: JSON.stringify({ name: "Renamed Elsewhere" }),
    });
    expect(res.status).toBe(200);
    const audit = ok<{ items: { action: string; objectKey: string }[] }>(
      await h.trpc("audit.list", {}, { token: u.token }, "query"),
    );
    expect(audit.items).toContainEqual(
      expect.objectContaining({ action: "profile.update", objectKey: `user/${u.id}` }),
    );
  });

  it("works through the REST routes with a bearer token", async () => {
    const u = await h.signUp();
    const auth = { authorization: `Bearer ${u.token}` };
    const empty = await h.app.request("/api/user/profile/image", { headers: auth });
    expect(await empty.json()).toEqual({ hasImage: false });
    const res = await h.app.request("/api/user/profile/image", {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ contentType: "image/png", fileSize: png().length, originalFilename: "me.png" }),
    });
    expect(res.status).toBe(200);
    const signed = (await res.json()) as ImageUpload & { uploadedBy: string; originalFilename: string };
    expect(signed).toMatchObject({ method: "PUT", uploadedBy: u.id, originalFilename: "me.png" });
    expect((await browserPut(signed.presignedUrl, signed.headers, png())).status).toBe(200);
    ok(await h.trpc("profile.completeImageUpload", undefined, { token: u.token }));
    const got = (await (
      await h.app.request("/api/user/profile/image", { headers: auth })
    ).json()) as ImageUrl;
    expect(got.hasImage).toBe(true);
    expect((await bytesAt(got.downloadUrl)).bytes).toEqual(png());
  });
});

describe("profile image completion race", () => {
  it("lets exactly one of concurrent completions of one upload finish it; the others are refused, never a 500", async () => {
    const u = await h.signUp();
    const signed = ok<ImageUpload>(
      await h.trpc(
        "profile.createImageUpload",
        { contentType: "image/png", fileSize: png(3).length },
        { token: u.token },
      ),
    );
    expect((await browserPut(signed.presignedUrl, signed.headers, png(3))).status).toBe(200);
    const results = await Promise.all(
      [1, 2, 3].map(() => h.trpc("profile.completeImageUpload", undefined, { token: u.token })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    // Depending on timing a loser sees the upload claimed (CONFLICT) or already gone (BAD_REQUEST).
    const refused = results.filter((r) => !r.ok && (r.code === "CONFLICT" || r.code === "BAD_REQUEST"));
    expect(refused).toHaveLength(2);
    const url = ok<ImageUrl>(
      await h.trpc("profile.imageDownloadUrl", undefined, { token: u.token }, "query"),
    );
    expect((await bytesAt(url.downloadUrl)).bytes).toEqual(png(3));
  });

  it("lets the same upload be completed again after storage failed mid-completion", async () => {
    const u = await h.signUp();
    const signed = ok<ImageUpload>(
      await h.trpc(
        "profile.createImageUpload",
        { contentType: "image/png", fileSize: png(5).length },
        { token: u.token },
      ),
    );
    expect((await browserPut(signed.presignedUrl, signed.headers, png(5))).status).toBe(200);
    // The real signer pointed at a port nobody listens on: storage is down during the first attempt.
    const down = createSigner({ endpoint: "http://127.0.0.1:9", bucket: "signet", ...h.s3Credentials });
    const actor = { id: u.id, name: u.name, email: u.email };
    const broken = createCaller(createInnerContext({ ...h.deps, storage: down }, actor));
    await expect(broken.profile.completeImageUpload()).rejects.toMatchObject({
      code: "INTERNAL_SERVER_ERROR",
    });
    const done = ok<ImageUrl>(await h.trpc("profile.completeImageUpload", undefined, { token: u.token }));
    expect((await bytesAt(done.downloadUrl)).bytes).toEqual(png(5));
  });

  it("answers CONFLICT, not a 500, when removeImage runs while an upload completes", async () => {
    const u = await h.signUp();
    const actor = { id: u.id, name: u.name, email: u.email };
    const signed = ok<ImageUpload>(
      await h.trpc(
        "profile.createImageUpload",
        { contentType: "image/png", fileSize: png(6).length },
        { token: u.token },
      ),
    );
    expect((await browserPut(signed.presignedUrl, signed.headers, png(6))).status).toBe(200);
    // The real signer, pausing on the HEAD of the stable key that follows the copy.
    const { storage, atPause, release } = pausedStorage(h.signer, "headObject", (key) => key === signed.key);
    const completing = createCaller(createInnerContext({ ...h.deps, storage: storage }, actor))
      .profile.completeImageUpload()
      .catch((e: unknown) => e);
    await atPause;
    ok(await h.trpc("profile.removeImage", undefined, { token: u.token }));
    release();
    expect(await completing).toMatchObject({ code: "CONFLICT" });
    expect(await h.signer.headObject(signed.key)).toBeNull();
    // A new upload signed but not completed yet shows no image (no stale record pointing at its new key).
    ok(
      await h.trpc(
        "profile.createImageUpload",
        { contentType: "image/png", fileSize: png(6).length },
        { token: u.token },
      ),
    );
    expect(ok(await h.trpc("profile.imageDownloadUrl", undefined, { token: u.token }, "query"))).toEqual({
      hasImage: false,
    });
  });
});
