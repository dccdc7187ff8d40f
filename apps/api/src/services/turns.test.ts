import { describe, expect, it } from "vitest";
import { nextTurn } from "./turns.ts";

describe("nextTurn", () => {
  it("lets what one turn scheduled run before the next turn starts, and keeps the turns in order", async () => {
    const order: string[] = [];
    const turns = [1, 2, 3].map((n) =>
      nextTurn().then(() => {
        order.push(`turn ${n}`);
        // Stands for the I/O a page read lets in: a callback for the event loop's next iteration.
        setImmediate(() => order.push(`after turn ${n}`));
      }),
    );
    await Promise.all(turns);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(["turn 1", "after turn 1", "turn 2", "after turn 2", "turn 3", "after turn 3"]);
  });
});
