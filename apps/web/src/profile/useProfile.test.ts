import { hashBlob, type PutRequest, type PutResponse } from "@signet/client";
import { describe, expect, it } from "vitest";
import { ref } from "vue";
import { LIMITS as DEFAULT_LIMITS } from "../api/limits.fixture.ts";
import type { ImageUploadTicket, Limits, Profile, ProfileApi } from "../api/types.ts";
import { describeImageTypes, useProfile, validateImage, validateName, validateSource } from "./useProfile.ts";

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** An in-memory profile service that, like the real one, checks magic bytes of what was PUT. */
function server() {
  const state: {
    profile: Profile;
    stored: Uint8Array | null;
    staged: Uint8Array | null;
    version: number;
    /** Earlier versions, newest first, like the real history. */
    earlier: number[];
  } = {
    profile: { id: "u1", name: "Ada Lovelace", email: "ada@example.com", image: { hasImage: false } },
    stored: null,
    staged: null,
    version: 0,
    earlier: [],
  };
  const imageAt = (version: number) => ({
    hasImage: true as const,
    downloadUrl: `https://s3/avatar?v=${version}`,
    filename: "avatar.png",
    expiresIn: 3600,
  });
  const api: ProfileApi = {
    async get() {
      return structuredClone(state.profile);
    },
    async update({ name }) {
      state.profile.name = name;
      return { id: state.profile.id, name, email: state.profile.email };
    },
    async createImageUpload(input) {
      const ticket: ImageUploadTicket = {
        presignedUrl: "https://s3/staging",
        method: "PUT",
        headers: { "content-type": input.contentType, "content-length": String(input.fileSize) },
        key: "avatar",
        contentType: input.contentType,
        fileSize: input.fileSize,
        expiresIn: 600,
        uploadedBy: state.profile.id,
        uploadedAt: "2026-01-01T00:00:00.000Z",
        originalFilename: input.originalFilename ?? "avatar",
      };
      return ticket;
    },
    async completeImageUpload() {
      const bytes = state.staged;
      state.staged = null;
      if (!bytes || !PNG_MAGIC.every((b, i) => bytes[i] === b)) {
        throw Object.assign(new Error("The uploaded file is not a PNG, JPEG, WebP, GIF or AVIF image"), {
          data: { code: "BAD_REQUEST" },
        });
      }
      if (state.stored) state.earlier.unshift(state.version);
      state.stored = bytes;
      state.version++;
      const image = imageAt(state.version);
      state.profile.image = image;
      return image;
    },
    async removeImage(input) {
      state.stored = null;
      state.profile.image = { hasImage: false };
      if (!input?.keepHistory) state.earlier = [];
      return { hasImage: false };
    },
    async imageHistory() {
      return {
        limit: 5,
        versions: state.earlier.map((version) => ({
          version,
          contentType: "image/png",
          size: 10,
          createdAt: "2026-01-01T00:00:00.000Z",
          archivedAt: "2026-01-01T00:00:00.000Z",
          downloadUrl: `https://s3/avatar/v/${version}`,
          filename: `profile-${version}.png`,
          expiresIn: 900,
        })),
      };
    },
    async restoreImage({ version }) {
      if (!state.earlier.includes(version)) {
        throw Object.assign(new Error("version: you have no earlier profile image"), {
          data: { code: "NOT_FOUND" },
        });
      }
      state.earlier = state.earlier.filter((v) => v !== version);
      if (state.profile.image.hasImage) state.earlier.unshift(state.version);
      state.version++;
      state.profile.image = imageAt(state.version);
      return imageAt(state.version);
    },
  };
  const puts: PutRequest[] = [];
  const put = async (request: PutRequest): Promise<PutResponse> => {
    puts.push(request);
    request.onProgress?.(Math.floor(request.body.size / 2), request.body.size);
    request.onProgress?.(request.body.size, request.body.size);
    state.staged = new Uint8Array(await request.body.arrayBuffer());
    return { status: 200, body: "", etag: null };
  };
  return { api, put, state, puts };
}

const png = (extra = 0) =>
  new File([new Uint8Array([...PNG_MAGIC, ...new Array(extra).fill(1)])], "me.png", {
    type: "image/png",
  });

describe("useProfile", () => {
  it("shows initials without an image, then the new avatar right after upload", async () => {
    const s = server();
    const profile = useProfile({ api: s.api, put: s.put, hash: hashBlob });
    await profile.load();
    expect(profile.avatarUrl.value).toBeNull();
    expect(profile.initials.value).toBe("AL");
    const file = png(100);
    expect(await profile.uploadImage(file)).toBe(true);
    expect(profile.avatarUrl.value).toBe("https://s3/avatar?v=1");
    expect(profile.imageUpload).toMatchObject({ phase: "done", percent: 100, loaded: file.size });
    expect(s.puts[0]!.headers).toMatchObject({ "content-type": "image/png" });
    expect(await profile.uploadImage(png(200))).toBe(true);
    expect(profile.avatarUrl.value).toBe("https://s3/avatar?v=2");
  });

  it("refuses a fake PNG with the server's message and keeps the current avatar", async () => {
    const s = server();
    const profile = useProfile({ api: s.api, put: s.put, hash: hashBlob });
    await profile.load();
    await profile.uploadImage(png(10));
    const fake = new File(["definitely not an image"], "fake.png", { type: "image/png" });
    expect(await profile.uploadImage(fake)).toBe(false);
    expect(profile.imageUpload.phase).toBe("error");
    expect(profile.imageUpload.error).toMatch(/not a PNG, JPEG/);
    expect(profile.avatarUrl.value).toBe("https://s3/avatar?v=1");
  });

  it("rejects wrong types and oversized images before contacting the server", async () => {
    const s = server();
    const limits = ref({ ...LIMITS, maxAvatarBytes: 50 });
    const profile = useProfile({ api: s.api, put: s.put, hash: hashBlob, limits });
    expect(await profile.uploadImage(new File(["x"], "a.txt", { type: "text/plain" }))).toBe(false);
    expect(profile.imageUpload.error).toBe("Choose a PNG, JPEG, WebP, GIF or AVIF image.");
    expect(await profile.uploadImage(png(100))).toBe(false);
    expect(profile.imageUpload.error).toMatch(/at most/);
    expect(s.puts).toHaveLength(0);
    expect(validateImage(png(1))).toBeNull();
  });

  it("renames without touching the avatar and validates the name field", async () => {
    const s = server();
    const profile = useProfile({ api: s.api, put: s.put, hash: hashBlob });
    await profile.load();
    await profile.uploadImage(png(10));
    expect(await profile.saveName("   ")).toEqual({ ok: false, error: "Name is required." });
    expect(validateName("x".repeat(101))).toMatch(/at most 100/);
    expect(await profile.saveName("  Ada King ")).toEqual({ ok: true, value: undefined });
    expect(profile.profile.value?.name).toBe("Ada King");
    expect(profile.avatarUrl.value).toBe("https://s3/avatar?v=1");
    await profile.load();
    expect(profile.profile.value).toMatchObject({ name: "Ada King", image: { hasImage: true } });
  });

  it("removes the avatar and falls back to initials", async () => {
    const s = server();
    const profile = useProfile({ api: s.api, put: s.put, hash: hashBlob });
    await profile.load();
    await profile.uploadImage(png(10));
    expect((await profile.removeImage()).ok).toBe(true);
    expect(profile.avatarUrl.value).toBeNull();
    expect(s.state.stored).toBeNull();
  });

  it("lists earlier pictures after each upload and restores one as the avatar", async () => {
    const s = server();
    const profile = useProfile({ api: s.api, put: s.put, hash: hashBlob });
    await profile.load();
    for (const extra of [1, 2, 3]) await profile.uploadImage(png(extra));
    expect(profile.history.value.map((v) => v.version)).toEqual([2, 1]);
    expect(await profile.restoreImage(1)).toEqual({ ok: true, value: undefined });
    expect(profile.avatarUrl.value).toBe("https://s3/avatar?v=4");
    expect(profile.history.value.map((v) => v.version)).toEqual([3, 2]);
    expect(await profile.restoreImage(1)).toMatchObject({ ok: false });
    expect((await profile.removeImage({ keepHistory: true })).ok).toBe(true);
    expect(profile.history.value).toHaveLength(2);
    expect((await profile.removeImage()).ok).toBe(true);
    expect(profile.history.value).toEqual([]);
  });

  it("cancelling stops the upload and resets the state", async () => {
    const s = server();
    let release!: () => void;
    const slowPut = (request: PutRequest) =>
      new Promise<PutResponse>((resolve, reject) => {
        release = () => resolve({ status: 200, body: "", etag: null });
        request.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError")));
      });
    const profile = useProfile({ api: s.api, put: slowPut, hash: hashBlob });
    await profile.load();
    const pending = profile.uploadImage(png(10));
    for (let i = 0; i < 20 && profile.imageUpload.phase !== "uploading"; i++) await Promise.resolve();
    expect(profile.imageUpload.phase).toBe("uploading");
    profile.cancelImageUpload();
    expect(await pending).toBe(false);
    release();
    expect(profile.imageUpload.phase).toBe("idle");
    expect(profile.avatarUrl.value).toBeNull();
  });

  it("says what the server accepts, from its configured limits", () => {
    const limits = ref<Limits | null>(null);
    const profile = useProfile({ api: server().api, put: server().put, hash: hashBlob, limits });
    expect(profile.imageRules.value).toBeNull();
    limits.value = { ...LIMITS, maxAvatarBytes: 10 * 1024 * 1024 };
    expect(profile.imageRules.value).toEqual({
      accept: "image/png,image/jpeg,image/webp,image/gif,image/avif",
      hint: "PNG, JPEG, WebP, GIF or AVIF, up to 10 MB.",
    });
    // The bug this replaces: a 6 MiB image refused by a hard-coded 5 MiB while the server allowed 10 MiB.
    const sixMiB = new File([new Uint8Array(6 * 1024 * 1024)], "big.png", { type: "image/png" });
    expect(validateImage(sixMiB, limits.value)).toBeNull();
    expect(validateImage(sixMiB, { ...LIMITS })).toBe("Profile images can be at most 5 MB.");
    expect(describeImageTypes(["image/png"])).toBe("PNG");
    // A picture to crop may be larger than the limit: only its resized crop travels.
    expect(validateSource(sixMiB, { ...LIMITS })).toBeNull();
    expect(validateSource(new File(["x"], "a.svg", { type: "image/svg+xml" }), LIMITS)).toBe(
      "Choose a PNG, JPEG, WebP, GIF or AVIF image.",
    );
    expect(validateSource(new File([], "empty.png", { type: "image/png" }), LIMITS)).toBe(
      "This image file is empty.",
    );
  });
});

// All five picture types, so the messages these tests expect name each of them.
const LIMITS: Limits = {
  ...DEFAULT_LIMITS,
  avatarContentTypes: ["image/png", "image/jpeg", "image/webp", "image/gif", "image/avif"],
};
