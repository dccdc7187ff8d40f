import { describe, expect, it } from "vitest";
import { describeStorageFailure, parseS3Error } from "./errors.ts";

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
