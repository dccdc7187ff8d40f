import { describe, expect, it } from "vitest";
import { apiErrorCode, describeApiError, describeStorageFailure, parseS3Error } from "./errors.ts";
import { TransportError } from "./transport.ts";

const s3 = (code: string, message = "") =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>1</RequestId></Error>`;

describe("describeStorageFailure", () => {
  it("parses S3 XML error bodies", () => {
    expect(parseS3Error(s3("NoSuchKey", "The specified key does not exist."))).toEqual({
      code: "NoSuchKey",
      message: "The specified key does not exist.",
    });
    expect(parseS3Error("not xml")).toEqual({ code: null, message: null });
  });

  it.each([
    [403, s3("SignatureDoesNotMatch", "The request signature we calculated does not match"), /signature/],
    [403, s3("AccessDenied", "Request has expired"), /expired/],
    [403, s3("AccessDenied", "Access Denied"), /refused access/],
    [
      412,
      s3("PreconditionFailed", "At least one of the pre-conditions you specified did not hold"),
      /overwrite/,
    ],
    [400, s3("BadDigest", "The SHA256 you specified did not match"), /checksum/],
    [400, s3("IncompleteBody"), /cut short/],
    [413, s3("EntityTooLarge"), /larger than/],
    [503, "", /temporarily unavailable/],
  ])("HTTP %i is explained", (status, body, pattern) => {
    const message = describeStorageFailure(status, body);
    expect(message).toMatch(pattern);
    expect(message).toMatch(/\[(\w+|HTTP \d+)\]/);
  });

  it("keeps the storage's message for codes it does not know", () => {
    expect(describeStorageFailure(400, s3("InvalidArgument", "Bad header x"))).toBe(
      "The storage rejected the upload [InvalidArgument]: Bad header x Retry.",
    );
  });
});

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
