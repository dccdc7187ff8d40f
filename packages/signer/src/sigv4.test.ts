import { describe, expect, it } from "vitest";
import { amzDate, createQueryPresigner } from "./sigv4.ts";

// Fixtures nobody on the team wrote.
// 1. S3 API reference, "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)", example
//    presigned GET of examplebucket/test.txt.
// 2. AWS SigV4 test suite as published with presign expectations in awslabs/aws-c-auth,
//    tests/aws-signing-test-suite/v4/<case>/ (context.json: AKIDEXAMPLE, us-east-1, service "service",
//    2015-08-30T12:36:00Z, expiration 3600 s, payload hash of the empty body).

const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const SUITE = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  region: "us-east-1",
  service: "service",
};
const SUITE_REQUEST = {
  method: "GET",
  host: "example.amazonaws.com",
  expiresIn: 3600,
  datetime: "20150830T123600Z",
  payloadHash: EMPTY_SHA256,
};
const signatureOf = (query: string) => new URLSearchParams(query).get("X-Amz-Signature");

for (const backend of ["node", "web"] as const) {
  describe(`SigV4 query signing (${backend} crypto)`, () => {
    it("reproduces the S3 documentation's presigned GET example", async () => {
      const presign = createQueryPresigner({
        accessKeyId: "AKIAIOSFODNN7EXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        region: "us-east-1",
        service: "s3",
        backend,
      });
      const query = await presign({
        method: "GET",
        host: "examplebucket.s3.amazonaws.com",
        path: "/test.txt",
        expiresIn: 86400,
        datetime: "20130524T000000Z",
      });
      expect(query).toBe(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
          "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
          "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
      );
    });

    it("get-vanilla", async () => {
      const presign = createQueryPresigner({ ...SUITE, backend });
      expect(signatureOf(await presign({ ...SUITE_REQUEST, path: "/" }))).toBe(
        "e93c787ed7f371d5c6b165c1b38ede9550f4dce4144713e844b25b7192d3865d",
      );
    });

    it("get-utf8: the path is UTF-8 percent-encoded", async () => {
      const presign = createQueryPresigner({ ...SUITE, backend });
      expect(signatureOf(await presign({ ...SUITE_REQUEST, path: "/%E1%88%B4" }))).toBe(
        "10eae3f14a260bd3911cc6d008d3c576d143b05b62f09782a7a4b37f52178e44",
      );
    });

    it("get-vanilla-query-order-key-case: parameters sort by code point, before X-Amz-*", async () => {
      const presign = createQueryPresigner({ ...SUITE, backend });
      const query = await presign({
        ...SUITE_REQUEST,
        path: "/",
        query: [
          ["Param2", "value2"],
          ["Param1", "value1"],
        ],
      });
      expect(query.startsWith("Param1=value1&Param2=value2&X-Amz-Algorithm=")).toBe(true);
      expect(signatureOf(query)).toBe("86012e2c9ad4d77369f5d81c11f75158aae4f895a085212cc6d3f923d300bed5");
    });

    it("get-vanilla-with-session-token: the token is a signed query parameter", async () => {
      const token = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
      const presign = createQueryPresigner({ ...SUITE, sessionToken: token, backend });
      const query = await presign({ ...SUITE_REQUEST, path: "/" });
      expect(new URLSearchParams(query).get("X-Amz-Security-Token")).toBe(token);
      expect(signatureOf(query)).toBe("7ff2b50b376cb4d151970630573d6291dc128cc5c2a12ffb237f73cc53f67b6c");
    });
  });
}

describe("amzDate", () => {
  it("formats ISO 8601 basic time in UTC", () => {
    expect(amzDate(new Date("2013-05-24T00:00:00.999Z"))).toBe("20130524T000000Z");
    expect(amzDate(new Date("2026-12-31T23:59:59Z"))).toBe("20261231T235959Z");
  });
});

describe("signing key cache", () => {
  it("derives a new key when the date changes", async () => {
    const presign = createQueryPresigner({ ...SUITE });
    const first = await presign({ ...SUITE_REQUEST, path: "/" });
    const nextDay = await presign({ ...SUITE_REQUEST, path: "/", datetime: "20150831T123600Z" });
    const back = await presign({ ...SUITE_REQUEST, path: "/" });
    expect(nextDay).toContain("20150831%2Fus-east-1");
    expect(signatureOf(nextDay)).not.toBe(signatureOf(first));
    expect(back).toBe(first);
  });
});
