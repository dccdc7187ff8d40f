// The fetch handler is Web-standard code: the same requests give the same answers under Bun and Deno.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const script = fileURLToPath(new URL("./fixtures/runtime-smoke.ts", import.meta.url));
const bin = (name: string) => fileURLToPath(new URL(`../../../node_modules/.bin/${name}`, import.meta.url));
const cwd = fileURLToPath(new URL("..", import.meta.url));

describe("runtimes", () => {
  it.each([
    ["bun", [script]],
    ["deno", ["run", "-A", "--no-lock", script]],
  ])(
    "%s runs the handler with the same results as Node",
    async (runtime, args) => {
      const { stdout } = await run(bin(runtime), args, { cwd, timeout: 60_000 });
      expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "")).toEqual({
        createBucket: 200,
        put: 200,
        get: [200, "runtime body", '"aa1886ef670e84f1caf51c95e33cfc82"'],
        // MD5 of testing.ts's bytes(OFFLOAD_FROM + 12345, 5), as node:crypto computes it.
        large: [200, '"cb841d74e6e29fa39fa9b33b02816fcd"', true],
        multipart: [200, true],
        anonymous: 403,
      });
    },
    60_000,
  );
});
