import { spawnSync } from "node:child_process";
import { user } from "@signet/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, type Harness, type TestUser, uploadTextOverHttp } from "../testing/harness.ts";
import { samples } from "./test-flows.ts";

const TOKEN = "metrics-token-0123456789abcdef";
const LOOPBACK = { address: "127.0.0.1" };

async function scrape(h: Harness, headers: Record<string, string> = {}, peer = LOOPBACK): Promise<Response> {
  return h.app.request("/metrics", { headers }, peer);
}

describe("/metrics without METRICS_TOKEN", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ observability: { metricsEnabled: true, doctorIntervalSeconds: 0 } });
  });
  afterAll(() => h?.[Symbol.asyncDispose]());

  it("answers a loopback peer, and 403 to any other peer or a request that came through a proxy", async () => {
    const local = await scrape(h);
    expect(local.status).toBe(200);
    expect(local.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await local.text()).toContain("# TYPE signet_urls_issued_total counter");
    expect((await scrape(h, {}, { address: "::1" })).status).toBe(200);
    expect((await scrape(h, {}, { address: "203.0.113.9" })).status).toBe(403);
    expect((await h.app.request("/metrics")).status).toBe(403);
    expect((await scrape(h, { "x-forwarded-for": "203.0.113.9" })).status).toBe(403);
  });
});

describe("/metrics with METRICS_TOKEN", () => {
  let h: Harness;
  let alice: TestUser;
  beforeAll(async () => {
    h = await createHarness({
      rateLimitPerMinute: 3,
      observability: { metricsEnabled: true, metricsToken: TOKEN, doctorIntervalSeconds: 0 },
    });
    alice = await h.signUp();
  });
  afterAll(() => h?.[Symbol.asyncDispose]());

  it("answers only the bearer token: 401 without credentials, 403 with wrong ones, even from loopback", async () => {
    const missing = await scrape(h);
    expect(missing.status).toBe(401);
    expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect((await scrape(h, { authorization: `Bearer ${TOKEN}x` })).status).toBe(403);
    expect((await scrape(h, { authorization: `Basic ${btoa(`x:${TOKEN}`)}` })).status).toBe(401);
    const remote = await scrape(h, { authorization: `Bearer ${TOKEN}` }, { address: "203.0.113.9" });
    expect(remote.status).toBe(200);
  });

  it("counts issued, refused and verified uploads and downloads, and requests by route template", async () => {
    const fileId = await uploadTextOverHttp(h, alice, "counted\n");
    const download = await h.trpc("files.downloadUrl", { fileId }, { token: alice.token }, "query");
    expect(download.ok).toBe(true);
    // The limit is 3 per minute: the upload's URL, the download's, one more, then refused.
    await h.trpc("files.downloadUrl", { fileId }, { token: alice.token }, "query");
    const refused = await h.trpc("files.downloadUrl", { fileId }, { token: alice.token }, "query");
    expect(refused).toMatchObject({ ok: false, code: "TOO_MANY_REQUESTS" });
    const rest = await h.app.request(`/api/files/${fileId}/download-url`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(rest.status).toBe(429);

    const text = await (await scrape(h, { authorization: `Bearer ${TOKEN}` })).text();
    const got = samples(text);
    expect(got.get('signet_urls_issued_total{kind="upload",outcome="issued"}')).toBe(1);
    expect(got.get('signet_urls_issued_total{kind="download",outcome="issued"}')).toBe(2);
    expect(got.get('signet_urls_issued_total{kind="download",outcome="rate_limited"}')).toBe(2);
    expect(got.get('signet_urls_issued_total{kind="share",outcome="issued"}')).toBe(0);
    expect(got.get('signet_verifications_total{outcome="ready"}')).toBe(1);
    expect(got.get("signet_verified_bytes_total")).toBe(8);
    expect(got.get('signet_dependency_up{dependency="bucket"}')).toBe(1);
    expect(got.get('signet_dependency_up{dependency="database"}')).toBe(1);
    expect(got.get("signet_quota_reserved_bytes")).toBe(8);
    expect(got.get("signet_multipart_uploads_in_flight")).toBe(0);
    expect(
      got.get(
        'signet_http_request_duration_seconds_count{route="/api/files/:id/download-url",method="GET",status_class="4xx"}',
      ),
    ).toBe(1);
    expect(
      got.get(
        'signet_http_request_duration_seconds_count{route="/trpc/files.downloadUrl",method="GET",status_class="2xx"}',
      ),
    ).toBe(2);
    expect(got.get('signet_storage_call_duration_seconds_count{operation="headObject",outcome="ok"}')).toBe(
      1,
    );
    expect(got.get('signet_db_statement_duration_seconds_count{operation="batch"}')).toBeGreaterThan(0);
    // Nothing user-specific in any label.
    expect(text).not.toContain(alice.id);
    expect(text).not.toContain(fileId);
  });

  it("counts a completion that found nothing uploaded as a missing verification", async () => {
    const bob = await h.signUp();
    const created = await h.trpc(
      "files.createUpload",
      { filename: "b.txt", contentType: "text/plain", size: 5 },
      { token: bob.token },
    );
    if (!created.ok) throw new Error(created.message);
    const { fileId } = created.data as { fileId: string };
    const done = await h.trpc("files.completeUpload", { fileId }, { token: bob.token });
    expect(done).toMatchObject({ ok: false, code: "BAD_REQUEST" });
    const got = samples(await (await scrape(h, { authorization: `Bearer ${TOKEN}` })).text());
    expect(got.get('signet_verifications_total{outcome="missing"}')).toBe(1);
  });

  it("is accepted by promtool check metrics", async () => {
    const text = await (await scrape(h, { authorization: `Bearer ${TOKEN}` })).text();
    const checked = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(checked.error).toBeUndefined();
    expect(`${checked.stdout}${checked.stderr}`).toBe("");
    expect(checked.status).toBe(0);
  });
});

describe("series cardinality", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness({ observability: { metricsEnabled: true, doctorIntervalSeconds: 0 } });
  });
  afterAll(() => h?.[Symbol.asyncDispose]());

  /** Users `from`..`to` issue an upload URL each, in process and over HTTP with made-up paths. */
  async function traffic(from: number, to: number) {
    for (let i = from; i < to; i++) {
      const id = `cardinality-user-${i}`;
      await h.db.insert(user).values({ id, name: `U${i}`, email: `${id}@example.com` });
      const caller = h.caller({ id, name: `U${i}`, email: `${id}@example.com`, cookie: "", token: "" });
      await caller.files.createUpload({ filename: `f${i}.txt`, contentType: "text/plain", size: 1 + i });
      await h.app.request(`/api/files/${id}`);
      await h.app.request(`/trpc/nope${i}`);
      await h.app.request(`/made/up/${i}`);
    }
  }

  async function series(): Promise<string[]> {
    return [...samples(await (await scrape(h)).text()).keys()].sort();
  }

  it("has as many series after 1,000 distinct users as after 10", async () => {
    await series(); // the scrape's own route is one more series, from the first scrape on
    await traffic(0, 10);
    const after10 = await series();
    await traffic(10, 1000);
    expect(await series()).toEqual(after10);
  }, 120_000);
});
