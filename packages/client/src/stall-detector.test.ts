import { describe, expect, it } from "vitest";
import { manualTimer } from "../test/manual-timer.ts";
import { abortError, isAbortError, TransportError } from "./errors.ts";
import { detectStalls } from "./stall-detector.ts";
import type { PutRequest, PutResponse, PutTransport } from "./transport.ts";

/** A transport that hands each request to the test and answers when told (or rejects when aborted). */
function heldTransport() {
  const held: { request: PutRequest; answer: (response: PutResponse) => void }[] = [];
  const put: PutTransport = (request) =>
    new Promise((resolve, reject) => {
      request.signal?.addEventListener("abort", () => reject(abortError()), { once: true });
      held.push({ request, answer: resolve });
    });
  return { put: Object.assign(put, { progressEvents: true }), held };
}

const request = (signal?: AbortSignal): PutRequest => ({
  url: "https://bucket.example/k?partNumber=1",
  method: "PUT",
  headers: {},
  body: new Blob([new Uint8Array(100)]),
  ...(signal ? { signal } : {}),
});

describe("detectStalls", () => {
  it("aborts a request whose progress goes silent, as a stall; each progress report restarts the wait", async () => {
    const clock = manualTimer();
    const inner = heldTransport();
    const seen: number[] = [];
    const put = detectStalls(inner.put, 5000, clock.timer);
    const sent = put({ ...request(), onProgress: (loaded) => seen.push(loaded) });
    const { request: wire } = inner.held[0]!;
    wire.onProgress?.(10, 100);
    clock.advance(4999);
    wire.onProgress?.(20, 100);
    clock.advance(4999);
    expect(wire.signal?.aborted).toBe(false);
    clock.advance(1);
    expect(wire.signal?.aborted).toBe(true);
    const failure = await sent.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TransportError);
    expect(failure).toMatchObject({
      kind: "stall",
      message: expect.stringMatching(/stopped making progress/),
    });
    expect(seen).toEqual([10, 20]);
    expect(put.progressEvents).toBe(true);
  });

  it("waits for the first progress before watching (a request still queued for a connection is not stalled)", async () => {
    const clock = manualTimer();
    const inner = heldTransport();
    const sent = detectStalls(inner.put, 5000, clock.timer)(request());
    clock.advance(60_000);
    const { request: wire, answer } = inner.held[0]!;
    expect(wire.signal?.aborted).toBe(false);
    wire.onProgress?.(100, 100);
    answer({ status: 200, body: "", etag: '"e"' });
    expect(await sent).toMatchObject({ status: 200 });
    expect(clock.pending()).toBe(0);
  });

  it("a caller's abort stays an abort, not a stall", async () => {
    const clock = manualTimer();
    const inner = heldTransport();
    const controller = new AbortController();
    const sent = detectStalls(inner.put, 5000, clock.timer)(request(controller.signal));
    inner.held[0]!.request.onProgress?.(10, 100);
    controller.abort();
    clock.advance(5000);
    const failure = await sent.catch((error: unknown) => error);
    expect(isAbortError(failure)).toBe(true);
    expect(clock.pending()).toBe(0);
  });
});
