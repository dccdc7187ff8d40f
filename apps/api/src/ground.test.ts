import { describe, expect, it } from "vitest";
import { batchedJsonLogger } from "./ground.ts";
import { redactingLogger } from "./redact.ts";

describe("batchedJsonLogger", () => {
  it("writes the lines of one turn in one write, each a JSON line, and flushes on demand", () => {
    const writes: string[] = [];
    const scheduled: (() => void)[] = [];
    const logger = batchedJsonLogger(
      (text) => writes.push(text),
      (run) => scheduled.push(run),
    );
    logger({ level: "info", msg: "one" });
    logger({ level: "warn", msg: "two" });
    expect(writes).toEqual([]);
    expect(scheduled).toHaveLength(1);
    scheduled[0]!();
    expect(writes).toHaveLength(1);
    const lines = writes[0]!.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual(["one", "two"]);
    expect(JSON.parse(lines[0]!).time).toMatch(/^\d{4}-\d\d-\d\dT/);

    logger({ level: "error", msg: "three" });
    logger.flush();
    expect(writes).toHaveLength(2);
    scheduled[1]!();
    expect(writes).toHaveLength(2);
  });
});

describe("redactingLogger", () => {
  it("scrubs once however many layers wrap it, and still scrubs", () => {
    const seen: unknown[] = [];
    const once = redactingLogger((entry) => seen.push(entry));
    expect(redactingLogger(once)).toBe(once);
    once({
      level: "info",
      msg: "x",
      url: "https://b.example/k?X-Amz-Signature=abc",
      path: "/trpc/files.list",
    });
    expect(seen).toEqual([
      { level: "info", msg: "x", url: "https://b.example/k?[redacted]", path: "/trpc/files.list" },
    ]);
  });
});
