/** Part URLs with an in-memory signing endpoint and injected time: batches, the expiry margin, sign-ahead. */
import { describe, expect, it } from "vitest";
import type { MultipartEndpoint, MultipartPlan, SignedPart } from "../../endpoints.ts";
import { EXPIRY_MARGIN_MS, PartUrls } from "./part-urls.ts";

const plan: MultipartPlan = { plan: "multipart", id: "f1", partSize: 16, partCount: 9 };
const T0 = Date.parse("2026-12-07T20:00:00Z");

/** Signs every part for `ttlMs` from the injected clock; the first request waits until the test releases it. */
function signingEndpoint(ttlMs: number, clock: { now: number }) {
  const batches: number[][] = [];
  let release: () => void = () => {};
  const firstHeld = new Promise<void>((resolve) => {
    release = resolve;
  });
  const endpoint: MultipartEndpoint = {
    multipartThreshold: async () => 0,
    listParts: async () => ({ partSize: 16, partCount: 9, parts: [] }),
    async signParts(_plan, parts) {
      batches.push(parts.map((p) => p.partNumber));
      if (batches.length === 1) await firstHeld;
      return parts.map(
        (p): SignedPart => ({
          partNumber: p.partNumber,
          url: `https://bucket.example/k?partNumber=${p.partNumber}&signed=${batches.length}`,
          headers: { "x-amz-checksum-sha256": p.checksumSha256 },
          expiresAt: new Date(clock.now + ttlMs).toISOString(),
        }),
      );
    },
  };
  return { endpoint, batches, release };
}

describe("PartUrls", () => {
  it("signs what queued up during a signing request in one batch, and reuses a URL until the margin", async () => {
    const clock = { now: T0 };
    const server = signingEndpoint(600_000, clock);
    const urls = new PartUrls(server.endpoint, plan, new AbortController().signal, () => clock.now);
    const first = urls.urlFor(1, "c1=");
    const later = [urls.urlFor(2, "c2="), urls.urlFor(3, "c3=")];
    server.release();
    await Promise.all([first, ...later]);
    expect(server.batches).toEqual([[1], [2, 3]]);

    clock.now = T0 + 600_000 - EXPIRY_MARGIN_MS - 1;
    expect((await urls.urlFor(2, "c2=")).url).toMatch(/signed=2$/);
    clock.now += 1;
    expect((await urls.urlFor(2, "c2=")).url).toMatch(/signed=3$/);
    urls.forget(3);
    expect((await urls.urlFor(3, "c3=")).url).toMatch(/signed=4$/);
    expect(server.batches).toEqual([[1], [2, 3], [2], [3]]);
  });

  it("stops signing ahead once the server's URLs live shorter than the margin (they would be signed again)", async () => {
    const clock = { now: T0 };
    const server = signingEndpoint(EXPIRY_MARGIN_MS, clock);
    server.release();
    const urls = new PartUrls(server.endpoint, plan, new AbortController().signal, () => clock.now);
    urls.signAhead(1, "c1=");
    await urls.urlFor(1, "c1=");
    urls.signAhead(2, "c2=");
    expect(server.batches).toEqual([[1]]);
    // Part 2 is signed when it is about to be sent instead.
    await urls.urlFor(2, "c2=");
    expect(server.batches).toEqual([[1], [2]]);
  });
});
