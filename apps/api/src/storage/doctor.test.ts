import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
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

  it("says an error with an empty message once (Ceph RGW's SignatureDoesNotMatch)", async () => {
    // RGW answers a wrong secret with an <Error> whose <Message> is empty.
    const rgw = createServer((_request, response) => {
      response.writeHead(403, { "content-type": "application/xml" });
      response.end(
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message></Message><RequestId>tx1</RequestId></Error>',
      );
    });
    await new Promise<void>((resolve) => rgw.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = rgw.address() as AddressInfo;
      const storage = createSigner({
        endpoint: `http://127.0.0.1:${port}`,
        bucket: "signet",
        ...TEST_CREDENTIALS,
      });
      const checks = await runDoctor({ storage, origin: ORIGIN, quick: true });
      expect(check(checks, "credentials")).toMatchObject({
        status: "fail",
        detail: "SignatureDoesNotMatch (HTTP 403)",
        fix: "S3_SECRET_ACCESS_KEY does not belong to S3_ACCESS_KEY_ID (or S3_REGION is wrong)",
      });
    } finally {
      await new Promise((resolve) => rgw.close(resolve));
    }
  });

  it("fails a CORS rule that does not expose ETag: Uppy's multipart uploads need it", async () => {
    const noEtag = await startTestBucket();
    try {
      const { exposeHeaders: _, ...rule } = spaCorsRule(ORIGIN);
      await noEtag.signer.putBucketCors([rule]);
      const checks = await runDoctor({ storage: noEtag.signer, origin: ORIGIN, quick: true });
      expect(check(checks, "cors-etag")).toMatchObject({
        status: "fail",
        detail: "Access-Control-Expose-Headers lacks ETag",
        impact: expect.stringContaining("Missing ETag in uploadPart response headers"),
        fix: expect.stringContaining('"ExposeHeaders": [\n      "ETag"'),
      });
      expect(checks.filter((c) => c.status !== "ok")).toHaveLength(1);
      expect(doctorPassed(checks)).toBe(false);
    } finally {
      await noEtag.close();
    }
  });
});
