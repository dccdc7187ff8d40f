import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, ok } from "../../testing/harness.ts";

let h: Harness;

beforeAll(async () => {
  h = await createHarness({ maxAvatarBytes: 10 * 1024 * 1024, maxFileBytes: 1234567 });
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

describe("limits", () => {
  it("answers the configured limits to anyone, signed in or not", async () => {
    const limits = ok<Record<string, unknown>>(await h.trpc("limits", undefined, null, "query"));
    expect(limits).toMatchObject({
      maxFileBytes: 1234567,
      maxAvatarBytes: 10 * 1024 * 1024,
      avatarContentTypes: ["image/png", "image/jpeg", "image/webp", "image/gif", "image/avif"],
      profileImageHistory: 5,
    });
    expect(typeof limits.shareUrlMaxTtl).toBe("number");
    expect(limits.allowedContentTypes).toBeNull();
  });
});

describe("ALLOWED_CONTENT_TYPES", () => {
  it("refuses other file types at createUpload, naming the field and the list, and answers the list in limits", async () => {
    await using strict = await createHarness({ allowedContentTypes: ["image/*", "application/pdf"] });
    const user = await strict.signUp();
    const create = (contentType: string) =>
      strict.trpc("files.createUpload", { filename: "a", contentType, size: 10 }, { token: user.token });
    expect((await create("image/png")).ok).toBe(true);
    expect((await create("Application/PDF; charset=x")).ok).toBe(true);
    const refused = await create("text/html");
    expect(refused).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    expect(refused.ok ? "" : refused.message).toBe(
      "contentType: text/html files are not accepted here (allowed: image/*, application/pdf)",
    );
    const limits = ok<Record<string, unknown>>(await strict.trpc("limits", undefined, null, "query"));
    expect(limits.allowedContentTypes).toEqual(["image/*", "application/pdf"]);
  });
});
