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
  });
});
