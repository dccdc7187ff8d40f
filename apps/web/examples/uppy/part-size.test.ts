import { describe, expect, it } from "vitest";
import { signetPartSize } from "./part-size.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
// What the server's `limits` query answers (services/multipart.ts).
const rule = { multipartPartSize: 16 * MiB, multipartMaxParts: 10_000 };

describe("signetPartSize", () => {
  it("plans as the server does (its partLayout gives these sizes), so Uppy's chunks are the signed parts", () => {
    expect(signetPartSize(1, rule)).toBe(16 * MiB);
    expect(signetPartSize(100 * MiB, rule)).toBe(16 * MiB);
    expect(signetPartSize(160 * GiB, rule)).toBe(17 * MiB);
    expect(signetPartSize(1024 * GiB, rule)).toBe(105 * MiB);
    expect(signetPartSize(5 * 1024 * GiB, rule)).toBe(525 * MiB);
  });
});
