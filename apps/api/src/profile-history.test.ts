import { userQuota } from "@signet/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { browserPut, createHarness, type Harness, ok, type TestUser } from "./testing/harness.ts";
import { jpeg, png } from "./testing/images.ts";

type ImageUpload = { presignedUrl: string; headers: Record<string, string>; key: string };
type ImageUrl = { hasImage: true; downloadUrl: string; filename: string; expiresIn: number };
type History = {
  limit: number;
  versions: { version: number; size: number; contentType: string; downloadUrl: string; expiresIn: number }[];
};

async function upload(h: Harness, u: TestUser, bytes: Uint8Array, contentType = "image/png") {
  const signed = ok<ImageUpload>(
    await h.trpc("profile.createImageUpload", { contentType, fileSize: bytes.length }, { token: u.token }),
  );
  expect((await browserPut(signed.presignedUrl, signed.headers, bytes)).status).toBe(200);
  // Each upload at its own second, as a person would make them.
  const complete = await h.trpc("profile.completeImageUpload", undefined, { token: u.token });
  h.advance(1);
  return { key: signed.key, complete };
}

async function bytesAt(url: string) {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

async function keysUnder(h: Harness, prefix: string) {
  return (await h.signer.listObjects(prefix)).objects.map((o) => o.key).sort();
}

async function reserved(h: Harness, u: TestUser) {
  const [row] = await h.db.select().from(userQuota).where(eq(userQuota.userId, u.id));
  return row?.reservedBytes ?? 0;
}

const history = async (h: Harness, u: TestUser) =>
  ok<History>(await h.trpc("profile.imageHistory", undefined, { token: u.token }, "query"));

describe("profile image history (default: 5 versions)", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  it("keeps the two earlier of three uploads, restores one with a new URL, and counts them in the quota", async () => {
    const u = await h.signUp();
    expect(await history(h, u)).toEqual({ limit: 5, versions: [] });
    const { key } = await upload(h, u, png(1));
    ok((await upload(h, u, jpeg(), "image/jpeg")).complete);
    const third = ok<ImageUrl>((await upload(h, u, png(3))).complete);

    const listed = await history(h, u);
    expect(listed.versions.map((v) => v.contentType)).toEqual(["image/jpeg", "image/png"]);
    expect(listed.versions[0]?.expiresIn).toBe(900);
    expect(await bytesAt(listed.versions[0]!.downloadUrl)).toEqual(jpeg());
    expect(await bytesAt(listed.versions[1]!.downloadUrl)).toEqual(png(1));
    const [newer, older] = listed.versions.map((v) => v.version);
    expect(await keysUnder(h, key)).toEqual([key, `${key}/v/${older}`, `${key}/v/${newer}`].sort());
    expect(await reserved(h, u)).toBe(jpeg().length + png(1).length);

    const restored = ok<ImageUrl>(
      await h.trpc("profile.restoreImage", { version: older }, { token: u.token }),
    );
    expect(restored.downloadUrl).not.toBe(third.downloadUrl);
    expect(restored.filename).not.toBe(third.filename);
    expect(await bytesAt(restored.downloadUrl)).toEqual(png(1));
    const current = ok<ImageUrl>(
      await h.trpc("profile.imageDownloadUrl", undefined, { token: u.token }, "query"),
    );
    expect(await bytesAt(current.downloadUrl)).toEqual(png(1));

    // The restored version became the current image; the one it replaced became a version.
    const after = await history(h, u);
    expect(after.versions).toHaveLength(2);
    expect(await bytesAt(after.versions[0]!.downloadUrl)).toEqual(png(3));
    expect(await bytesAt(after.versions[1]!.downloadUrl)).toEqual(jpeg());
    expect(await keysUnder(h, key)).toHaveLength(3);
    expect(await reserved(h, u)).toBe(png(3).length + jpeg().length);
    // The sweeper's quota reconciliation counts kept versions as live: it must not take their share back.
    await h.signet.sweep();
    expect(await reserved(h, u)).toBe(png(3).length + jpeg().length);

    const audit = ok<{ items: { action: string; detail: Record<string, unknown> }[] }>(
      await h.trpc("audit.list", {}, { token: u.token }, "query"),
    );
    const restoreEvent = audit.items.find((e) => e.action === "profile.image_restore");
    expect(restoreEvent?.detail).toMatchObject({ version: older, contentType: "image/png" });
    expect(JSON.stringify(audit.items)).not.toMatch(/X-Amz-Signature|https?:\/\//);
  });

  it("answers NOT_FOUND for a version that is not the caller's, naming the field", async () => {
    const owner = await h.signUp();
    await upload(h, owner, png(1));
    await upload(h, owner, png(2));
    const [version] = (await history(h, owner)).versions;
    const other = await h.signUp();
    const res = await h.trpc("profile.restoreImage", { version: version!.version }, { token: other.token });
    expect(res).toMatchObject({ ok: false, code: "NOT_FOUND" });
    expect(!res.ok && res.message).toMatch(/^version:/);
    const bad = await h.trpc("profile.restoreImage", { version: -1 }, { token: owner.token });
    expect(bad).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(!bad.ok && bad.message).toMatch(/version/);
  });

  it("forgets a version whose object is gone instead of restoring nothing", async () => {
    const u = await h.signUp();
    const { key } = await upload(h, u, png(1));
    await upload(h, u, png(2));
    const [kept] = (await history(h, u)).versions;
    await h.signer.deleteObject(`${key}/v/${kept!.version}`);
    const res = await h.trpc("profile.restoreImage", { version: kept!.version }, { token: u.token });
    expect(res).toMatchObject({ ok: false, code: "NOT_FOUND" });
    expect(!res.ok && res.message).toMatch(/no longer stored/);
    expect((await history(h, u)).versions).toEqual([]);
    expect(await reserved(h, u)).toBe(0);
    const current = ok<ImageUrl>(
      await h.trpc("profile.imageDownloadUrl", undefined, { token: u.token }, "query"),
    );
    expect(await bytesAt(current.downloadUrl)).toEqual(png(2));
  });

  it("removes the image with or without its history, as asked", async () => {
    const u = await h.signUp();
    const { key } = await upload(h, u, png(1));
    await upload(h, u, png(2));
    ok(await h.trpc("profile.removeImage", { keepHistory: true }, { token: u.token }));
    expect(ok(await h.trpc("profile.imageDownloadUrl", undefined, { token: u.token }, "query"))).toEqual({
      hasImage: false,
    });
    const kept = await history(h, u);
    expect(kept.versions).toHaveLength(1);
    expect(await keysUnder(h, key)).toEqual([`${key}/v/${kept.versions[0]!.version}`]);

    // Restoring with no current image makes the version current again.
    const restored = ok<ImageUrl>(
      await h.trpc("profile.restoreImage", { version: kept.versions[0]!.version }, { token: u.token }),
    );
    expect(await bytesAt(restored.downloadUrl)).toEqual(png(1));
    expect((await history(h, u)).versions).toEqual([]);
    expect(await reserved(h, u)).toBe(0);

    await upload(h, u, png(3));
    expect((await history(h, u)).versions).toHaveLength(1);
    ok(await h.trpc("profile.removeImage", undefined, { token: u.token }));
    expect((await history(h, u)).versions).toEqual([]);
    expect(await keysUnder(h, key)).toEqual([]);
    expect(await reserved(h, u)).toBe(0);
  });
});

describe("profile image history limits", () => {
  it("deletes versions beyond PROFILE_IMAGE_HISTORY", async () => {
    await using h = await createHarness({ profileImageHistory: 2 });
    const u = await h.signUp();
    const { key } = await upload(h, u, png(1));
    for (const seed of [2, 3, 4, 5]) await upload(h, u, png(seed));
    const listed = await history(h, u);
    expect(listed.limit).toBe(2);
    expect(await Promise.all(listed.versions.map((v) => bytesAt(v.downloadUrl)))).toEqual([png(4), png(3)]);
    expect(await keysUnder(h, key)).toHaveLength(3);
    expect(await reserved(h, u)).toBe(png(4).length + png(3).length);
  });

  it("with 0 keeps nothing but the stable key in the bucket", async () => {
    await using h = await createHarness({ profileImageHistory: 0 });
    const u = await h.signUp();
    const { key } = await upload(h, u, png(1));
    await upload(h, u, jpeg(), "image/jpeg");
    const last = ok<ImageUrl>((await upload(h, u, png(3))).complete);
    expect(await bytesAt(last.downloadUrl)).toEqual(png(3));
    expect(await keysUnder(h, "")).toEqual([key]);
    expect(await history(h, u)).toEqual({ limit: 0, versions: [] });
    expect(await reserved(h, u)).toBe(0);
  });

  it("refuses an upload whose predecessor would not fit in the quota, keeping the current image", async () => {
    // Room for one kept PNG (58 bytes), not two.
    await using h = await createHarness({ userQuotaBytes: 100 });
    const u = await h.signUp();
    await upload(h, u, png(1));
    ok((await upload(h, u, png(2))).complete);
    expect(await reserved(h, u)).toBe(png(1).length);
    // Files share the same quota.
    const file = await h.trpc(
      "files.createUpload",
      { filename: "a.txt", contentType: "text/plain", size: 50 },
      { token: u.token },
    );
    expect(file).toMatchObject({ ok: false, code: "PAYLOAD_TOO_LARGE" });

    const { key, complete } = await upload(h, u, png(3));
    expect(complete).toMatchObject({ ok: false, code: "PAYLOAD_TOO_LARGE" });
    expect(!complete.ok && complete.message).toMatch(/quota/);
    const current = ok<ImageUrl>(
      await h.trpc("profile.imageDownloadUrl", undefined, { token: u.token }, "query"),
    );
    expect(await bytesAt(current.downloadUrl)).toEqual(png(2));
    expect((await history(h, u)).versions).toHaveLength(1);
    expect(await keysUnder(h, key)).toHaveLength(2);
    // No staging object left behind either.
    expect(await keysUnder(h, "staging/")).toEqual([]);
    expect(await reserved(h, u)).toBe(png(1).length);
  });
});
