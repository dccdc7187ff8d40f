import { describe, expect, it } from "vitest";
import { compareKeys, isValidBucketName, isValidUploadId } from "./store.ts";

describe("compareKeys", () => {
  it("orders keys as their UTF-8 bytes do (S3's listing order)", () => {
    const keys = ["b", "a", "\u{1F600}", "\uFF01", "é", "a/b", "a0", "", "\uE000", "z"];
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...keys].sort(compareKeys)).toEqual(byBytes);
    // Plain JS ordering gets the astral character wrong, which is why compareKeys exists.
    expect([...keys].sort()).not.toEqual(byBytes);
  });
});

describe("names that become paths", () => {
  it("accepts S3 bucket names only", () => {
    for (const ok of ["abc", "my-bucket.2", "a".repeat(63)]) expect(isValidBucketName(ok), ok).toBe(true);
    for (const bad of [
      "ab",
      "a".repeat(64),
      "..",
      ".tmp",
      "Up",
      "a..b",
      "-a",
      "a-",
      "1.2.3.4",
      "a/b",
      "a_b",
    ]) {
      expect(isValidBucketName(bad), bad).toBe(false);
    }
  });

  it("accepts only upload ids this store issues", () => {
    expect(isValidUploadId("0123456789abcdef".repeat(3))).toBe(true);
    for (const bad of ["", "../x", "0123456789ABCDEF".repeat(3), "0".repeat(47), `${"0".repeat(47)}/`]) {
      expect(isValidUploadId(bad), bad).toBe(false);
    }
  });
});
