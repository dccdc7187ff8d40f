import { fileThumbnail, userQuota } from "@signet/db";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_THUMBNAIL_BYTES } from "./services/limits.ts";
import { reconcile } from "./services/reconcile.ts";
import {
  browserPut,
  createHarness,
  type Harness,
  ok,
  sha256Base64,
  type TestUser,
} from "./testing/harness.ts";
import { jpeg, png, webp } from "./testing/images.ts";

let h: Harness;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  h = await createHarness();
  [alice, bob] = await Promise.all([h.signUp(), h.signUp()]);
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

type Ticket = { fileId: string; key: string; url: string; headers: Record<string, string>; size: number };
type Signed = { url: string; headers: Record<string, string> };

async function reserved(user: TestUser): Promise<number> {
  const [row] = await h.db.select().from(userQuota).where(eq(userQuota.userId, user.id));
  return row?.reservedBytes ?? 0;
}

/** A ready file of `user`, uploaded through the ordinary pipeline. */
async function readyFile(user: TestUser, bytes: Uint8Array, filename: string, contentType: string) {
  const up = ok<Ticket>(
    await h.trpc("files.createUpload", { filename, contentType, size: bytes.length }, { token: user.token }),
  );
  expect((await browserPut(up.url, up.headers, bytes)).status).toBe(200);
  ok(await h.trpc("files.completeUpload", { fileId: up.fileId }, { token: user.token }));
  return { ...up, size: bytes.length };
}

async function uploadThumbnail(user: TestUser, fileId: string, bytes: Uint8Array) {
  const signed = ok<Signed>(
    await h.trpc(
      "files.createThumbnailUpload",
      { fileId, size: bytes.length, checksumSha256: await sha256Base64(bytes) },
      { token: user.token },
    ),
  );
  expect((await browserPut(signed.url, signed.headers, bytes)).status).toBe(200);
  return h.trpc("files.completeThumbnailUpload", { fileId }, { token: user.token });
}

describe("file thumbnails", () => {
  it("keeps a WebP thumbnail, counts it in the quota, serves it briefly, and deletes it with its file", async () => {
    const image = jpeg();
    const file = await readyFile(alice, image, "photo.jpg", "image/jpeg");
    const thumb = webp();
    ok(await uploadThumbnail(alice, file.fileId, thumb));
    expect(await reserved(alice)).toBe(image.length + thumb.length);
    expect(await h.signer.headObject(`${file.key}.thumb.webp`)).toMatchObject({ size: thumb.length });

    // Reconciliation counts its bytes as the user's and its object as owned.
    const report = await reconcile({ ...h.deps, signer: h.signer }, { fix: false });
    expect(report.quota.filter((d) => d.userId === alice.id)).toEqual([]);
    expect(report.storage.filter((f) => f.key === `${file.key}.thumb.webp`)).toEqual([]);

    const other = await readyFile(alice, png(9), "none.png", "image/png");
    const urls = (user: TestUser) =>
      h.trpc("files.thumbnailUrls", { fileIds: [file.fileId, other.fileId] }, { token: user.token }, "query");
    const { items } = ok<{ items: { fileId: string; url: string; expiresAt: string }[] }>(await urls(alice));
    expect(items.map((i) => i.fileId)).toEqual([file.fileId]);
    expect(Date.parse(items[0]!.expiresAt) - h.now().getTime()).toBeLessThanOrEqual(300_000);
    const got = await fetch(items[0]!.url);
    expect(got.headers.get("content-type")).toBe("image/webp");
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(thumb);
    // Another user learns nothing about it.
    expect(ok(await urls(bob))).toEqual({ items: [] });
    const rest = await h.app.request("/api/files/thumbnail-urls", {
      method: "POST",
      headers: { authorization: `Bearer ${alice.token}`, "content-type": "application/json" },
      body: JSON.stringify({ fileIds: [file.fileId] }),
    });
    expect(rest.status).toBe(200);
    expect((await rest.json()).items).toHaveLength(1);

    ok(await h.trpc("files.delete", { fileId: file.fileId }, { token: alice.token }));
    expect(await h.signer.headObject(`${file.key}.thumb.webp`)).toBeNull();
    expect(await reserved(alice)).toBe(other.size);
    expect(ok(await urls(alice))).toEqual({ items: [] });
  });

  it("deletes and refuses a thumbnail whose bytes are not a WebP, releasing its bytes", async () => {
    const file = await readyFile(alice, png(1), "pic.png", "image/png");
    const before = await reserved(alice);
    const res = await uploadThumbnail(alice, file.fileId, png(2));
    expect(res).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(res.ok ? "" : res.message).toMatch(/not a complete WebP/);
    expect(await h.signer.headObject(`${file.key}.thumb.webp`)).toBeNull();
    expect(await reserved(alice)).toBe(before);
    // A good one may follow.
    ok(await uploadThumbnail(alice, file.fileId, webp()));
  });

  it("refuses a thumbnail over the cap, a second thumbnail, and one for a file that is not an image", async () => {
    const file = await readyFile(alice, png(3), "cap.png", "image/png");
    // The cap is the one clients read from `limits`.
    const limits = ok<{ maxThumbnailBytes: number }>(await h.trpc("limits", undefined, null, "query"));
    expect(limits.maxThumbnailBytes).toBe(MAX_THUMBNAIL_BYTES);
    const tooBig = await h.trpc(
      "files.createThumbnailUpload",
      { fileId: file.fileId, size: MAX_THUMBNAIL_BYTES + 1 },
      { token: alice.token },
    );
    expect(tooBig).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(tooBig.ok ? "" : tooBig.message).toMatch(/^size:/);
    ok(await uploadThumbnail(alice, file.fileId, webp()));
    expect(
      await h.trpc("files.createThumbnailUpload", { fileId: file.fileId, size: 10 }, { token: alice.token }),
    ).toMatchObject({ ok: false, code: "CONFLICT" });

    // A pending thumbnail blocks another until its URL expires; then its reservation goes and a new one is signed.
    const other = await readyFile(alice, png(4), "late.png", "image/png");
    const before = await reserved(alice);
    ok(
      await h.trpc(
        "files.createThumbnailUpload",
        { fileId: other.fileId, size: 100 },
        { token: alice.token },
      ),
    );
    expect(await reserved(alice)).toBe(before + 100);
    expect(
      await h.trpc("files.createThumbnailUpload", { fileId: other.fileId, size: 50 }, { token: alice.token }),
    ).toMatchObject({ ok: false, code: "CONFLICT" });
    h.advance(h.deps.config.uploadUrlTtl);
    ok(
      await h.trpc("files.createThumbnailUpload", { fileId: other.fileId, size: 50 }, { token: alice.token }),
    );
    expect(await reserved(alice)).toBe(before + 50);

    const text = await readyFile(alice, new TextEncoder().encode("hello"), "a.txt", "text/plain");
    const res = await h.trpc(
      "files.createThumbnailUpload",
      { fileId: text.fileId, size: 10 },
      { token: alice.token },
    );
    expect(res).toMatchObject({ ok: false, code: "BAD_REQUEST" });
  });

  it("goes with its owner's account: object and row", async () => {
    const carol = await h.signUp();
    const file = await readyFile(carol, jpeg(), "me.jpg", "image/jpeg");
    ok(await uploadThumbnail(carol, file.fileId, webp()));
    ok(await h.trpc("account.delete", { password: "correct horse battery" }, { cookie: carol.cookie }));
    expect(await h.signer.headObject(`${file.key}.thumb.webp`)).toBeNull();
    expect(await h.db.select().from(fileThumbnail).where(eq(fileThumbnail.userId, carol.id))).toEqual([]);
  });
});
