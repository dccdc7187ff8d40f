import { TransportError } from "@signet/client";
import { describe, expect, it } from "vitest";
import { apiErrorCode, describeApiError } from "./errors.ts";

describe("describeApiError", () => {
  const trpc = (code: string, message: string) => Object.assign(new Error(message), { data: { code } });

  it("keeps the server's actionable message", () => {
    expect(describeApiError(trpc("PAYLOAD_TOO_LARGE", "size exceeds MAX_FILE_BYTES (5 GiB)"))).toBe(
      "size exceeds MAX_FILE_BYTES (5 GiB)",
    );
    expect(apiErrorCode(trpc("NOT_FOUND", "x"))).toBe("NOT_FOUND");
    expect(apiErrorCode(new Error("x"))).toBeNull();
  });

  it("replaces a few codes with guidance", () => {
    expect(describeApiError(trpc("TOO_MANY_REQUESTS", "rate limited"))).toMatch(/Wait a moment/);
    expect(describeApiError(trpc("UNAUTHORIZED", "UNAUTHORIZED"))).toMatch(/Sign in again/);
    expect(describeApiError(trpc("INTERNAL_SERVER_ERROR", "db exploded: secret details"))).not.toMatch(
      /secret/,
    );
  });

  it("names the field of a zod validation failure", () => {
    const issues = JSON.stringify([{ code: "too_small", path: ["size"], message: "must be at least 1" }]);
    expect(describeApiError(trpc("BAD_REQUEST", issues))).toBe("size: must be at least 1");
  });

  it("explains network failures", () => {
    expect(describeApiError(new TypeError("Failed to fetch"))).toMatch(/Could not reach the Signet server/);
    expect(describeApiError(new TransportError("timeout", "t"))).toMatch(/timed out/);
    expect(describeApiError("weird")).toBe("Something went wrong. Retry.");
  });
});
