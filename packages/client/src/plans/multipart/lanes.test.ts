import { describe, expect, it } from "vitest";
import { abortError } from "../../errors.ts";
import { inLanes } from "./lanes.ts";

/** Lets every pending promise callback run. */
async function settle() {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** Work items the test finishes by hand, recording how many ran at once. */
function handWork() {
  const running = new Map<number, { done: () => void; fail: (error: unknown) => void }>();
  const started: number[] = [];
  let most = 0;
  const work = (item: number) =>
    new Promise<void>((done, fail) => {
      started.push(item);
      running.set(item, { done, fail });
      most = Math.max(most, running.size);
    }).finally(() => running.delete(item));
  return { work, running, started, most: () => most };
}

describe("inLanes", () => {
  it("runs the items in order, never more than `concurrency` at once", async () => {
    const hand = handWork();
    const all = inLanes([1, 2, 3, 4, 5], 2, hand.work, () => {});
    await settle();
    expect([...hand.running.keys()]).toEqual([1, 2]);
    hand.running.get(2)!.done();
    await settle();
    expect([...hand.running.keys()]).toEqual([1, 3]);
    for (const n of [1, 3, 4, 5]) {
      hand.running.get(n)?.done();
      await settle();
    }
    await all;
    expect(hand.most()).toBe(2);
  });

  it("stops at the first failure and rejects with it, not with the aborts it caused", async () => {
    const hand = handWork();
    let stopped = 0;
    const refused = new Error("part 2 refused");
    const all = inLanes([1, 2, 3], 2, hand.work, () => {
      stopped++;
      hand.running.get(1)?.fail(abortError());
    });
    await settle();
    hand.running.get(2)!.fail(refused);
    await expect(all).rejects.toBe(refused);
    expect(stopped).toBeGreaterThan(0);
    expect(hand.started).toEqual([1, 2]);
    expect(hand.running.size).toBe(0);
  });
});
