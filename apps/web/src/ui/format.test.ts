import { describe, expect, it } from "vitest";
import { formatBytes, formatDateTime, formatDuration, formatSpeed, initialsOf } from "./format.ts";

describe("format", () => {
  it("formats byte counts", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(20 * 1024 * 1024)).toBe("20 MB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5 GB");
    expect(formatBytes(-1)).toBe("–");
  });

  it("formats speeds and hides meaningless ones", () => {
    expect(formatSpeed(2 * 1024 * 1024)).toBe("2 MB/s");
    expect(formatSpeed(0)).toBe("");
    expect(formatSpeed(Number.NaN)).toBe("");
  });

  it("formats dates and tolerates bad input", () => {
    expect(formatDateTime(null)).toBe("–");
    expect(formatDateTime("nope")).toBe("nope");
    expect(formatDateTime("2026-03-04T05:06:00.000Z", "en-GB")).toMatch(/2026/);
  });

  it("writes lifetimes in the largest whole unit", () => {
    expect(formatDuration(60)).toBe("1 minute");
    expect(formatDuration(600)).toBe("10 minutes");
    expect(formatDuration(3600)).toBe("1 hour");
    expect(formatDuration(604_800)).toBe("7 days");
    expect(formatDuration(90)).toBe("90 s");
  });

  it("derives initials", () => {
    expect(initialsOf("Ada Lovelace")).toBe("AL");
    expect(initialsOf("  grace  brewster  hopper ")).toBe("GH");
    expect(initialsOf("linus")).toBe("L");
    expect(initialsOf("", "zoe@example.com")).toBe("Z");
    expect(initialsOf("", "")).toBe("?");
  });
});
