import { createSigner } from "@signet/signer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBucket, TEST_CREDENTIALS, type TestBucket } from "../cli/testing.ts";
import { spaCorsRule } from "./cors-rule.ts";
import { type Check, doctorPassed, runDoctor } from "./doctor.ts";

// The doctor in process against a real local-s3: what it says about the clock and about refused credentials.

const ORIGIN = "http://localhost:5173";
let bucket: TestBucket;
beforeAll(async () => {
  bucket = await startTestBucket();
  await bucket.signer.putBucketCors([spaCorsRule(ORIGIN)]);
});
afterAll(async () => {
  await bucket?.close();
});

function check(checks: Check[], id: string): Check | undefined {
  return checks.find((c) => c.id === id);
}

describe("runDoctor", () => {
  it("measures clock skew against the endpoint's Date: a minute off warns, 15 minutes off fails", async () => {
    const ahead = (seconds: number) => () => new Date(Date.now() + seconds * 1000);
    const warned = await runDoctor({
      storage: bucket.signer,
      origin: ORIGIN,
      quick: true,
      clock: ahead(120),
    });
    expect(check(warned, "clock")).toMatchObject({
      status: "warn",
      detail: expect.stringMatching(/^1(19|20|21) s ahead of the endpoint$/),
    });
    expect(doctorPassed(warned)).toBe(true);
    const failed = await runDoctor({
      storage: bucket.signer,
      origin: ORIGIN,
      quick: true,
      clock: ahead(-1200),
    });
    expect(check(failed, "clock")).toMatchObject({
      status: "fail",
      impact: "the storage refuses every request signed here (RequestTimeTooSkewed)",
      fix: expect.stringContaining("sync this machine's clock"),
    });
    expect(doctorPassed(failed)).toBe(false);
  });

  it("says which credential is wrong, and skips the rest", async () => {
    const wrongSecret = createSigner({
      endpoint: bucket.url,
      bucket: "signet",
      accessKeyId: TEST_CREDENTIALS.accessKeyId,
      secretAccessKey: "not-the-secret",
    });
    const checks = await runDoctor({ storage: wrongSecret, origin: ORIGIN });
    expect(check(checks, "credentials")).toMatchObject({
      status: "fail",
      detail: expect.stringMatching(/^SignatureDoesNotMatch \(HTTP 403\)/),
      fix: "S3_SECRET_ACCESS_KEY does not belong to S3_ACCESS_KEY_ID (or S3_REGION is wrong)",
    });
    expect(checks.filter((c) => c.status === "skip")).toHaveLength(10);

    const noBucket = createSigner({ endpoint: bucket.url, bucket: "nope", ...TEST_CREDENTIALS });
    const missing = await runDoctor({ storage: noBucket, origin: ORIGIN, quick: true });
    expect(check(missing, "credentials")).toMatchObject({
      status: "fail",
      fix: "create the bucket named by S3_BUCKET, or correct S3_BUCKET",
    });
  });
});
