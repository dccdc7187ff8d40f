/** The series that come from the database, the sweeper and the bucket checks, read through /metrics. */
import { afterEach, describe, expect, it } from "vitest";
import { spaCorsRule } from "../storage/cors-rule.ts";
import { createHarness, type Harness, PUBLIC_URL, sha256Base64 } from "../testing/harness.ts";
import { samples } from "./test-flows.ts";

const MiB = 1024 ** 2;

async function scrape(h: Harness): Promise<Map<string, number>> {
  const response = await h.app.request("/metrics", {}, { address: "127.0.0.1" });
  expect(response.status).toBe(200);
  return samples(await response.text());
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.[Symbol.asyncDispose]();
  h = undefined;
});

describe("database figures and the sweeper", () => {
  it("shows multipart uploads in flight, parts signed and reserved quota", async () => {
    h = await createHarness({
      multipartThresholdBytes: MiB,
      observability: { metricsEnabled: true, doctorIntervalSeconds: 0 },
    });
    const alice = await h.signUp();
    const created = await h.trpc(
      "files.createUpload",
      { filename: "big.bin", contentType: "application/octet-stream", size: 20 * MiB },
      { token: alice.token },
    );
    if (!created.ok) throw new Error(created.message);
    const { fileId } = created.data as { fileId: string };
    const checksumSha256 = await sha256Base64(new Uint8Array(0));
    const signed = await h.trpc(
      "files.signParts",
      { fileId, parts: [1, 2].map((partNumber) => ({ partNumber, checksumSha256 })) },
      { token: alice.token },
    );
    expect(signed.ok).toBe(true);
    const got = await scrape(h);
    expect(got.get("signet_multipart_uploads_in_flight")).toBe(1);
    expect(got.get("signet_multipart_parts_signed_total")).toBe(2);
    expect(got.get('signet_urls_issued_total{kind="part",outcome="issued"}')).toBe(1);
    expect(got.get("signet_quota_reserved_bytes")).toBe(20 * MiB);
  });

  it("shows how long the oldest due upload has waited, and counts the pass that settles it", async () => {
    h = await createHarness({ observability: { metricsEnabled: true, doctorIntervalSeconds: 0 } });
    const alice = await h.signUp();
    const created = await h.trpc(
      "files.createUpload",
      { filename: "never.txt", contentType: "text/plain", size: 5 },
      { token: alice.token },
    );
    expect(created.ok).toBe(true);
    expect((await scrape(h)).get("signet_sweeper_oldest_due_seconds")).toBe(0);
    // The URL lives 600 s and the harness's grace is 60 s: due from 660 s on, so 100 s late at 760 s.
    h.advance(760);
    expect((await scrape(h)).get("signet_sweeper_oldest_due_seconds")).toBe(100);

    const result = await h.signet.sweep();
    expect(result.rejected).toBe(1);
    const got = await scrape(h);
    expect(got.get("signet_sweeper_oldest_due_seconds")).toBe(0);
    expect(got.get('signet_sweeper_passes_total{outcome="ok"}')).toBe(1);
    expect(got.get('signet_sweeper_rows_settled_total{outcome="rejected"}')).toBe(1);
    expect(got.get('signet_verifications_total{outcome="missing"}')).toBe(1);
    expect(got.get("signet_quota_reserved_bytes")).toBe(0);
  });
});

describe("bucket checks", () => {
  /** Scrapes until the probes started by a scrape have reported (they run beside the scrapes). */
  async function checked(harness: Harness): Promise<Map<string, number>> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const got = await scrape(harness);
      if (
        got.has("signet_bucket_check_timestamp_seconds") &&
        got.get("signet_bucket_check_timestamp_seconds")! > 0
      ) {
        return got;
      }
      await new Promise((done) => setTimeout(done, 100));
    }
    throw new Error("the bucket checks never reported");
  }

  it("reports every probe passing on a bucket set up as pnpm start does", async () => {
    h = await createHarness({ observability: { metricsEnabled: true, doctorIntervalSeconds: 300 } });
    await h.signer.putBucketCors([spaCorsRule(PUBLIC_URL)]);
    const got = await checked(h);
    expect(got.get('signet_bucket_check{check="cors_etag"}')).toBe(1);
    expect(got.get('signet_bucket_check{check="upload"}')).toBe(1);
    const failing = [...got].filter(
      ([name, value]) => name.startsWith("signet_bucket_check{") && value !== 1,
    );
    expect(failing).toEqual([]);
  });

  it("reports cors_etag failing when the bucket's CORS rule lost ExposeHeaders: ETag", async () => {
    h = await createHarness({ observability: { metricsEnabled: true, doctorIntervalSeconds: 300 } });
    await h.signer.putBucketCors([{ ...spaCorsRule(PUBLIC_URL), exposeHeaders: [] }]);
    const got = await checked(h);
    expect(got.get('signet_bucket_check{check="cors_etag"}')).toBe(0);
    expect(got.get('signet_bucket_check{check="cors_preflight"}')).toBe(1);
  });
});
