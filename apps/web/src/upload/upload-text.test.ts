import { describe, expect, it } from "vitest";
import { batchOutcome, phaseLabel, progressLabel, timeLeft } from "./upload-text.ts";

const item = {
  phase: "uploading" as const,
  hashed: 0,
  loaded: 512 * 1024,
  total: 2 * 1024 * 1024,
  percent: 25,
  speed: 0,
};

describe("upload text", () => {
  it("shows percent, bytes and, while sending, speed and time left", () => {
    expect(progressLabel({ ...item, speed: 256 * 1024 })).toBe("25% · 512 KB of 2 MB · 256 KB/s · 6 s left");
    expect(progressLabel({ ...item, phase: "paused", speed: 0 })).toBe("25% · 512 KB of 2 MB");
    expect(progressLabel({ ...item, phase: "verifying", speed: 256 * 1024 })).toBe("25% · 512 KB of 2 MB");
  });

  it("says where a failed or cancelled upload stopped instead of a bare percentage", () => {
    expect(progressLabel({ ...item, phase: "cancelled" })).toBe("Stopped at 25% · 512 KB of 2 MB");
    expect(progressLabel({ ...item, phase: "error", loaded: item.total, percent: 100 })).toBe(
      "Stopped at 100% · 2 MB of 2 MB",
    );
  });

  it("says the time left as a person would", () => {
    expect(timeLeft(0.2)).toBe("1 s left");
    expect(timeLeft(59)).toBe("59 s left");
    expect(timeLeft(150)).toBe("3 min left");
    expect(timeLeft(7500)).toBe("2 h 5 min left");
    expect(timeLeft(Number.POSITIVE_INFINITY)).toBe("");
  });

  it("labels phases, with the checksum's own progress", () => {
    expect(phaseLabel({ ...item, phase: "hashing", hashed: 1024 * 1024 })).toBe("Computing checksum 50%");
    expect(phaseLabel({ ...item, phase: "done" })).toBe("Uploaded");
  });

  it("sums up a finished batch without ever announcing zero uploads", () => {
    expect(batchOutcome({ done: 1, failed: 0 })).toBe("1 file uploaded");
    expect(batchOutcome({ done: 3, failed: 0 })).toBe("3 files uploaded");
    expect(batchOutcome({ done: 0, failed: 1 })).toBe("1 upload failed — use Retry on the row below");
    expect(batchOutcome({ done: 2, failed: 2 })).toBe(
      "2 files uploaded, 2 uploads failed — use Retry on the rows below",
    );
    expect(batchOutcome({ done: 0, failed: 0 })).toBe("");
  });
});
