import { describe, expect, it } from "vitest";
import { abortError, PartRefusal, StorageRefusal, TransportError } from "./errors.ts";
import { createRetryPolicy, retryAfterMs, retryCounter } from "./retry-policy.ts";

const fresh = { retries: 0, resigns: 0 };
const network = new TransportError("network", "connection reset");
const expired = new StorageRefusal(
  403,
  "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
);
/** What a tRPC client error carries. */
const apiError = (httpStatus: number) => Object.assign(new Error("api"), { data: { httpStatus } });

describe("createRetryPolicy", () => {
  it("waits each delay in turn for a failure that may pass, then gives up", () => {
    const policy = createRetryPolicy({ delays: [100, 200] });
    const counter = retryCounter(policy);
    expect(counter.next(network)).toEqual({ delayMs: 100, resign: false });
    expect(counter.next(new TransportError("stall", "no progress"))).toEqual({ delayMs: 200, resign: false });
    expect(counter.next(network)).toBeNull();
    expect(counter.retries).toBe(2);
  });

  it("moves each wait by up to ± the jitter, from the injected random", () => {
    const at = (random: number) =>
      createRetryPolicy({ delays: [1000], jitter: 0.2, random: () => random }).decide(network, fresh);
    expect(at(0)).toEqual({ delayMs: 800, resign: false });
    expect(at(0.5)).toEqual({ delayMs: 1000, resign: false });
    expect(at(0.999_999)).toEqual({ delayMs: 1200, resign: false });
  });

  it("retries the storage's 5xx, 408 and 429, never what it refused for good", () => {
    const policy = createRetryPolicy({ delays: [10] });
    expect(policy.decide(new StorageRefusal(503, ""), fresh)).toEqual({ delayMs: 10, resign: false });
    expect(policy.decide(new PartRefusal(2, 500, ""), fresh)).toEqual({ delayMs: 10, resign: false });
    expect(policy.decide(new StorageRefusal(408, ""), fresh)).toEqual({ delayMs: 10, resign: false });
    expect(policy.decide(new PartRefusal(2, 400, "<Error><Code>BadDigest</Code></Error>"), fresh)).toBeNull();
    expect(
      policy.decide(new StorageRefusal(403, "<Error><Code>SignatureDoesNotMatch</Code></Error>"), fresh),
    ).toBeNull();
    expect(policy.decide(new StorageRefusal(412, ""), fresh)).toBeNull();
  });

  it("asks for a fresh URL after an expired one at once, without using a retry, a few times only", () => {
    const counter = retryCounter(createRetryPolicy({ delays: [], maxResigns: 2 }));
    expect(counter.next(expired)).toEqual({ delayMs: 0, resign: true });
    expect(counter.next(expired)).toEqual({ delayMs: 0, resign: true });
    expect(counter.next(expired)).toBeNull();
    expect(counter.retries).toBe(0);
  });

  it("obeys the storage's Retry-After (seconds or a date) up to its cap, else backs off as usual", () => {
    const now = Date.parse("2026-12-07T20:00:00Z");
    const policy = createRetryPolicy({ delays: [100], maxRetryAfterMs: 30_000, now: () => now });
    const slowDown = (retryAfter: string) => new StorageRefusal(429, "", retryAfter);
    expect(policy.decide(slowDown("7"), fresh)).toEqual({ delayMs: 7000, resign: false });
    expect(policy.decide(slowDown("Mon, 07 Dec 2026 20:00:12 GMT"), fresh)).toEqual({
      delayMs: 12_000,
      resign: false,
    });
    expect(policy.decide(slowDown("3600"), fresh)).toEqual({ delayMs: 100, resign: false });
    expect(policy.decide(slowDown("soon"), fresh)).toEqual({ delayMs: 100, resign: false });
    // Retry-After spends a retry like any wait.
    expect(policy.decide(slowDown("7"), { retries: 1, resigns: 0 })).toBeNull();
  });

  it("retries an API call that got no answer or a 5xx / 429, never its 4xx refusals or an abort", () => {
    const policy = createRetryPolicy({ delays: [10] });
    expect(policy.decide(new TypeError("fetch failed"), fresh)).toEqual({ delayMs: 10, resign: false });
    expect(policy.decide(apiError(502), fresh)).toEqual({ delayMs: 10, resign: false });
    expect(policy.decide(apiError(429), fresh)).toEqual({ delayMs: 10, resign: false });
    expect(policy.decide(apiError(400), fresh)).toBeNull();
    expect(policy.decide(apiError(404), fresh)).toBeNull();
    expect(policy.decide(abortError(), fresh)).toBeNull();
  });
});

describe("retryAfterMs", () => {
  it("reads seconds and HTTP dates, and nothing else", () => {
    const now = Date.parse("2026-12-07T20:00:00Z");
    expect(retryAfterMs("0", now)).toBe(0);
    expect(retryAfterMs(" 5 ", now)).toBe(5000);
    expect(retryAfterMs("Mon, 07 Dec 2026 19:59:00 GMT", now)).toBe(0);
    expect(retryAfterMs(null, now)).toBeNull();
    expect(retryAfterMs("-1", now)).toBeNull();
  });
});
