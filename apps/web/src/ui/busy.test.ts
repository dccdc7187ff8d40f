import { describe, expect, it } from "vitest";
import { ref } from "vue";
import { whileBusy } from "./busy.ts";

describe("whileBusy", () => {
  it("is busy while the work runs and returns its result", async () => {
    const busy = ref(false);
    const seen: boolean[] = [];
    const result = await whileBusy(busy, async () => {
      seen.push(busy.value);
      return 42;
    });
    expect(seen).toEqual([true]);
    expect(result).toBe(42);
    expect(busy.value).toBe(false);
  });

  it("clears busy when the work throws, and lets the error through", async () => {
    const busy = ref(false);
    await expect(
      whileBusy(busy, async () => {
        throw new Error("offline");
      }),
    ).rejects.toThrow("offline");
    expect(busy.value).toBe(false);
  });
});
