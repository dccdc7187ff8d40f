import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UPLOAD_CORS_HEADERS } from "../storage/cors-rule.ts";
import { spawnCli, startTestBucket, type TestBucket } from "./testing.ts";

// `signet cors apply` spawned as an operator runs it, then the preflight a browser sends, against a real local-s3.

let bucket: TestBucket;
beforeAll(async () => {
  bucket = await startTestBucket();
});
afterAll(async () => {
  await bucket?.close();
});

const SPA = "https://app.example.com";
const OTHER = { allowedOrigins: ["https://admin.example.com"], allowedMethods: ["GET"], maxAgeSeconds: 60 };

async function preflight(origin: string): Promise<Response> {
  const signed = await bucket.signer.presignPut("u/someone/file.pdf", {
    expiresIn: 60,
    contentType: "application/pdf",
    contentLength: 10,
    ifNoneMatch: "*",
  });
  return fetch(signed.url, {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "PUT",
      "access-control-request-headers": [...UPLOAD_CORS_HEADERS].sort().join(","),
    },
  });
}

describe("signet cors", { timeout: 60_000 }, () => {
  it("apply writes the SPA's rule, keeps other origins' rules, and the browser's preflight then succeeds", async () => {
    // An older rule listed the SPA's origin among others, with too few headers; another rule is for admin.
    await bucket.signer.putBucketCors([
      OTHER,
      {
        allowedOrigins: ["https://old.example.com", SPA],
        allowedMethods: ["PUT"],
        allowedHeaders: ["content-type"],
      },
    ]);
    expect((await preflight(SPA)).status).toBe(403);

    const run = await spawnCli(["cors", "apply", "--origin", SPA], bucket.env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Applied: the bucket now has 3 rule(s).");
    // The R2 dashboard JSON for the SPA's rule, exactly.
    const json = run.stdout.slice(run.stdout.indexOf("["));
    expect(JSON.parse(json)).toEqual([
      {
        AllowedOrigins: [SPA],
        AllowedMethods: ["GET", "HEAD", "PUT"],
        AllowedHeaders: UPLOAD_CORS_HEADERS,
        ExposeHeaders: ["ETag"],
        MaxAgeSeconds: 3600,
      },
    ]);

    expect(await bucket.signer.getBucketCors()).toEqual([
      OTHER,
      {
        allowedOrigins: ["https://old.example.com"],
        allowedMethods: ["PUT"],
        allowedHeaders: ["content-type"],
      },
      {
        allowedOrigins: [SPA],
        allowedMethods: ["GET", "HEAD", "PUT"],
        allowedHeaders: UPLOAD_CORS_HEADERS,
        exposeHeaders: ["ETag"],
        maxAgeSeconds: 3600,
      },
    ]);
    const response = await preflight(SPA);
    expect(response.status).toBe(200);
    expect(response.headers.get("access-control-allow-origin")).toBe(SPA);
    expect(response.headers.get("access-control-allow-methods")).toMatch(/PUT/);
    expect((await preflight("https://evil.example.com")).status).toBe(403);

    // Applying again changes nothing.
    expect((await spawnCli(["cors", "apply", "--origin", SPA], bucket.env)).code).toBe(0);
    expect(await bucket.signer.getBucketCors()).toHaveLength(3);
  });

  it("show --json prints the bucket's rules as R2's dashboard JSON; apply --dry-run writes nothing", async () => {
    await bucket.signer.putBucketCors([OTHER]);
    const dry = await spawnCli(["cors", "apply", "--dry-run", "--json"], bucket.env);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ origin: "http://localhost:5173", applied: false });
    const show = await spawnCli(["cors", "show", "--json"], bucket.env);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toEqual([
      { AllowedOrigins: ["https://admin.example.com"], AllowedMethods: ["GET"], MaxAgeSeconds: 60 },
    ]);
  });

  it("apply refuses an origin that is not an origin, with exit 2", async () => {
    const run = await spawnCli(["cors", "apply", "--origin", "app.example.com"], bucket.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--origin: must be an http(s) origin");
  });
});
