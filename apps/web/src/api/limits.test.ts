import { describe, expect, it } from "vitest";
import { createLimitsStore } from "./limits.ts";
import type { Limits } from "./types.ts";

const LIMITS = { maxAvatarBytes: 10 * 1024 * 1024 } as Limits;

describe("createLimitsStore", () => {
  it("asks the server once, and again only after a failed load", async () => {
    let calls = 0;
    let failNext = true;
    const store = createLimitsStore({
      async get() {
        calls++;
        if (failNext) {
          failNext = false;
          throw new TypeError("Failed to fetch");
        }
        return LIMITS;
      },
    });
    expect(await store.load()).toBeNull();
    expect(store.error.value).toMatch(/Could not reach the Signet server/);
    const [first, second] = await Promise.all([store.load(), store.load()]);
    expect(first).toBe(LIMITS);
    expect(second).toBe(LIMITS);
    expect(await store.load()).toBe(LIMITS);
    expect(store.limits.value).toBe(LIMITS);
    expect(store.error.value).toBeNull();
    expect(calls).toBe(2);
  });
});
