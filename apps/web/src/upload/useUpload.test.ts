import {
  abortError,
  fileFingerprint,
  hashBlob,
  memoryResumeStore,
  type PutRequest,
  type PutResponse,
  type ResumeStore,
  TransportError,
} from "@signet/client";
import { describe, expect, it } from "vitest";
import { ref, watchEffect } from "vue";
import { LIMITS } from "../api/limits.fixture.ts";
import type { FileView, Limits, UploadApi, UploadTicket } from "../api/types.ts";
import { canCancel, canRetry, useUpload } from "./useUpload.ts";

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets pending promise callbacks run; the composable chains a few awaits per step. */
async function settle() {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function fileOf(name: string, size: number, type = "application/octet-stream") {
  return new File([new Uint8Array(size).fill(7)], name, { type });
}

/**
 * A scripted storage: each PUT waits until the test answers it. The API side is a tiny in-memory
 * implementation of the contract, so the composable's calls can be checked afterwards.
 */
function harness(
  options: {
    concurrency?: number;
    completeError?: (fileId: string) => unknown;
    retryDelays?: number[];
    limits?: Limits;
    resumeStore?: ResumeStore;
  } = {},
) {
  const calls: string[] = [];
  const puts: { request: PutRequest; answer: Deferred<PutResponse> }[] = [];
  const uploaded: FileView[] = [];
  let fileCounter = 0;
  let clock = 0;
  let hashCalls = 0;
  const tickets = new Map<string, { filename: string; size: number; contentType: string }>();
  const api: UploadApi = {
    async createUpload(input) {
      const fileId = `f${++fileCounter}`;
      calls.push(`create ${input.filename} ${input.checksumSha256 ?? "-"}`);
      tickets.set(fileId, input);
      const ticket: UploadTicket = {
        fileId,
        plan: "single",
        key: `u/1/${fileId}`,
        url: `https://bucket.example/${fileId}?X-Amz-Signature=abc`,
        method: "PUT",
        headers: { "content-type": input.contentType, "content-length": String(input.size) },
        expiresIn: 600,
        expiresAt: "2026-01-01T00:10:00.000Z",
      };
      return ticket;
    },
    async completeUpload({ fileId }) {
      calls.push(`complete ${fileId}`);
      const refusal = options.completeError?.(fileId);
      if (refusal) throw refusal;
      const input = tickets.get(fileId)!;
      return {
        id: fileId,
        originalFilename: input.filename,
        contentType: input.contentType,
        size: input.size,
        status: "ready",
        checksumSha256: null,
        createdAt: "2026-01-01T00:00:00.000Z",
        completedAt: "2026-01-01T00:00:01.000Z",
        folderId: null,
        description: "",
        tags: [],
      };
    },
    async abortUpload({ fileId }) {
      calls.push(`abort ${fileId}`);
      return { ok: true };
    },
  };
  const waits: number[] = [];
  const upload = useUpload({
    api,
    concurrency: options.concurrency,
    // Automatic retries are tested on their own; elsewhere a failure is the user's to retry.
    retryDelays: options.retryDelays ?? [],
    sleep: async (ms) => {
      waits.push(ms);
    },
    limits: ref(options.limits ?? null),
    now: () => clock,
    hash: (file, onProgress, signal) => {
      hashCalls++;
      return hashBlob(file, onProgress, signal);
    },
    put: (request) => {
      const answer = deferred<PutResponse>();
      request.signal?.addEventListener("abort", () => answer.reject(abortError()));
      puts.push({ request, answer });
      return answer.promise;
    },
    onUploaded: (file) => uploaded.push(file),
    ...(options.resumeStore ? { resumeStore: options.resumeStore } : {}),
  });
  return {
    upload,
    calls,
    puts,
    uploaded,
    waits,
    hashCalls: () => hashCalls,
    advance(ms: number) {
      clock += ms;
    },
    /** Answers the n-th PUT after reporting the given progress steps. */
    async answer(index: number, status = 200, steps: number[] = [], body = "") {
      const entry = puts[index]!;
      for (const loaded of steps) entry.request.onProgress?.(loaded, entry.request.body.size);
      entry.answer.resolve({ status, body, etag: '"e"' });
      await settle();
    },
  };
}

describe("useUpload", () => {
  it("checksums, signs, PUTs with the returned URL and headers, then verifies", async () => {
    const h = harness();
    const file = fileOf("report.pdf", 1000, "application/pdf");
    const [item] = h.upload.add([file]);
    await settle();
    expect(item!.phase).toBe("uploading");
    const expectedChecksum = await hashBlob(file);
    expect(h.calls).toEqual([`create report.pdf ${expectedChecksum}`]);
    const put = h.puts[0]!.request;
    expect(put.url).toBe("https://bucket.example/f1?X-Amz-Signature=abc");
    expect(put.method).toBe("PUT");
    expect(put.headers).toEqual({ "content-type": "application/pdf", "content-length": "1000" });
    expect(put.body).toBe(file);

    await h.answer(0, 200, [400, 1000]);
    await h.upload.whenIdle();
    expect(item!.phase).toBe("done");
    expect(item!.percent).toBe(100);
    expect(h.calls).toEqual([`create report.pdf ${expectedChecksum}`, "complete f1"]);
    expect(h.uploaded.map((f) => f.id)).toEqual(["f1"]);
    expect(h.upload.totals.value).toMatchObject({ percent: 100, done: 1, active: 0, failed: 0 });
  });

  it("reports per-file bytes, percent and speed from the injected clock", async () => {
    const h = harness();
    const [item] = h.upload.add([fileOf("a.bin", 4000)]);
    await settle();
    const progress = h.puts[0]!.request.onProgress!;
    h.advance(500);
    progress(1000, 4000);
    expect(item).toMatchObject({ loaded: 1000, percent: 25, speed: 2000 });
    h.advance(500);
    progress(3000, 4000);
    expect(item).toMatchObject({ loaded: 3000, percent: 75, speed: 3000 });
    // A stale, smaller progress event never moves the bar back.
    progress(2000, 4000);
    expect(item!.loaded).toBe(3000);
  });

  it("keeps total progress monotonic through failure, retry and files added mid-batch", async () => {
    const h = harness();
    const seen: number[] = [];
    watchEffect(() => seen.push(h.upload.totals.value.percent), { flush: "sync" });
    const [a, b] = h.upload.add([fileOf("a.bin", 1000), fileOf("b.bin", 1000)]);
    await settle();
    h.puts[0]!.request.onProgress!(800, 1000);
    h.puts[1]!.request.onProgress!(600, 1000);
    // b fails at 60%; its retry starts again from zero.
    await h.answer(1, 403, [], "<Error><Code>SignatureDoesNotMatch</Code></Error>");
    expect(b!.phase).toBe("error");
    h.upload.retry(b!.id);
    await settle();
    expect(b!.phase).toBe("uploading");
    h.upload.add([fileOf("c.bin", 2000)]);
    await settle();
    h.puts[2]!.request.onProgress!(100, 1000);
    await h.answer(0, 200, [1000]);
    await h.answer(2, 200, [1000]);
    await h.answer(3, 200, [500, 2000]);
    await h.upload.whenIdle();
    expect([a!.phase, b!.phase]).toEqual(["done", "done"]);
    expect(seen.at(-1)).toBe(100);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    // The clamp must not hide all movement: the bar passed through intermediate values.
    expect(new Set(seen).size).toBeGreaterThan(3);
  });

  it("starts a new batch at zero once the queue has been idle", async () => {
    const h = harness();
    h.upload.add([fileOf("a.bin", 10)]);
    await settle();
    await h.answer(0, 200, [10]);
    await h.upload.whenIdle();
    expect(h.upload.totals.value.percent).toBe(100);
    h.upload.add([fileOf("b.bin", 10)]);
    expect(h.upload.totals.value.percent).toBe(0);
  });

  it("cancel aborts the PUT, releases the server reservation and frees the slot", async () => {
    const h = harness({ concurrency: 1 });
    const [first, second] = h.upload.add([fileOf("a.bin", 100), fileOf("b.bin", 100)]);
    await settle();
    expect([first!.phase, second!.phase]).toEqual(["uploading", "queued"]);
    const signal = h.puts[0]!.request.signal!;
    expect(canCancel(first!)).toBe(true);
    h.upload.cancel(first!.id);
    expect(signal.aborted).toBe(true);
    expect(first!.phase).toBe("cancelled");
    expect(h.calls).toContain("abort f1");
    await settle();
    expect(second!.phase).toBe("uploading");
    await h.answer(1, 200, [100]);
    await h.upload.whenIdle();
    expect(second!.phase).toBe("done");
    expect(first!.phase).toBe("cancelled");
    expect(h.calls).not.toContain("complete f1");
  });

  it("cancel while the URL is being signed aborts the upload the server then creates", async () => {
    const h = harness();
    const [item] = h.upload.add([fileOf("a.bin", 10)]);
    // The hash resolves in a few microtasks; cancel as soon as the item is asking for its URL.
    for (let i = 0; i < 20 && item!.phase !== "signing"; i++) await Promise.resolve();
    expect(item!.phase).toBe("signing");
    h.upload.cancel(item!.id);
    await settle();
    expect(item!.phase).toBe("cancelled");
    expect(h.puts).toHaveLength(0);
    expect(h.calls.filter((c) => c.startsWith("abort"))).toEqual(["abort f1"]);
  });

  it("a PUT cancelled mid-flight and retried starts from zero with a fresh URL; only the retry is verified", async () => {
    const h = harness();
    const [item] = h.upload.add([fileOf("slow.bin", 1000)]);
    await settle();
    h.puts[0]!.request.onProgress!(400, 1000);
    expect(item!.percent).toBe(40);
    h.upload.cancel(item!.id);
    expect(h.puts[0]!.request.signal!.aborted).toBe(true);
    // Progress the browser had queued before the abort must not move the cancelled row.
    h.puts[0]!.request.onProgress!(600, 1000);
    expect(item).toMatchObject({ phase: "cancelled", loaded: 400 });

    h.upload.retry(item!.id);
    await settle();
    expect(item).toMatchObject({ phase: "uploading", loaded: 0, percent: 0, error: null });
    expect(h.puts[1]!.request.url).toContain("/f2?");
    await h.answer(1, 200, [1000]);
    await h.upload.whenIdle();
    expect(item!.phase).toBe("done");
    expect(h.calls.filter((c) => !c.startsWith("create"))).toEqual(["abort f1", "complete f2"]);
    expect(h.uploaded.map((f) => f.id)).toEqual(["f2"]);
  });

  it("cancelAll resolves only once every reservation is released, including a URL still being signed", async () => {
    const signing = deferred<UploadTicket>();
    const releases: Deferred<{ ok: true }>[] = [];
    const released: string[] = [];
    const api: UploadApi = {
      createUpload: () => signing.promise,
      completeUpload: () => Promise.reject(new Error("a cancelled upload is never verified")),
      abortUpload: ({ fileId }) => {
        released.push(fileId);
        const answer = deferred<{ ok: true }>();
        releases.push(answer);
        return answer.promise;
      },
    };
    const upload = useUpload({ api, hash: hashBlob, put: () => new Promise(() => {}) });
    const [item] = upload.add([fileOf("a.bin", 10)]);
    for (let i = 0; i < 20 && item!.phase !== "signing"; i++) await Promise.resolve();
    expect(item!.phase).toBe("signing");

    let finished = false;
    const cancelled = upload.cancelAll().then(() => {
      finished = true;
    });
    expect(item!.phase).toBe("cancelled");
    await settle();
    expect(finished).toBe(false);
    signing.resolve({
      fileId: "f1",
      plan: "single",
      key: "u/1/f1",
      url: "https://bucket.example/f1",
      method: "PUT",
      headers: {},
      expiresIn: 600,
      expiresAt: "2026-01-01T00:10:00.000Z",
    });
    await settle();
    expect(released).toEqual(["f1"]);
    expect(finished).toBe(false);
    releases[0]!.resolve({ ok: true });
    await cancelled;
    expect(finished).toBe(true);
  });

  it("a queued file can be cancelled before it starts and retried later", async () => {
    const h = harness({ concurrency: 1 });
    const [, queued] = h.upload.add([fileOf("a.bin", 10), fileOf("b.bin", 10)]);
    h.upload.cancel(queued!.id);
    expect(queued!.phase).toBe("cancelled");
    expect(canRetry(queued!)).toBe(true);
    await settle();
    await h.answer(0, 200, [10]);
    expect(h.puts).toHaveLength(1);
    h.upload.retry(queued!.id);
    await settle();
    await h.answer(1, 200, [10]);
    await h.upload.whenIdle();
    expect(queued!.phase).toBe("done");
  });

  it("a storage refusal becomes a human message, releases the upload, and retry reuses the checksum", async () => {
    const h = harness();
    const [item] = h.upload.add([fileOf("a.bin", 10)]);
    await settle();
    await h.answer(0, 400, [10], "<Error><Code>BadDigest</Code><Message>x</Message></Error>");
    expect(item!.phase).toBe("error");
    expect(item!.error).toMatch(/do not match the file's checksum/);
    expect(item!.error).toContain("[BadDigest]");
    expect(h.calls).toContain("abort f1");
    h.upload.retry(item!.id);
    await settle();
    expect(item!.error).toBeNull();
    await h.answer(1, 200, [10]);
    await h.upload.whenIdle();
    expect(item!.phase).toBe("done");
    expect(h.hashCalls()).toBe(1);
    expect(h.calls.filter((c) => c.startsWith("create"))).toHaveLength(2);
  });

  it("a network or CORS failure is reported as such", async () => {
    const h = harness();
    const [item] = h.upload.add([fileOf("a.bin", 10)]);
    await settle();
    h.puts[0]!.answer.reject(new TransportError("network", "network error"));
    await h.upload.whenIdle();
    expect(item!.phase).toBe("error");
    expect(item!.error).toMatch(/Could not reach the storage.*CORS/);
  });

  it("a refused verification shows the server's reason without a second abort", async () => {
    const refusal = Object.assign(new Error("size mismatch: expected 10 bytes, found 9"), {
      data: { code: "BAD_REQUEST" },
    });
    const h = harness({ completeError: () => refusal });
    const [item] = h.upload.add([fileOf("a.bin", 10)]);
    await settle();
    await h.answer(0, 200, [10]);
    await h.upload.whenIdle();
    expect(item!.phase).toBe("error");
    expect(item!.error).toBe("size mismatch: expected 10 bytes, found 9");
    expect(h.calls.some((c) => c.startsWith("abort"))).toBe(false);
    expect(h.uploaded).toHaveLength(0);
  });

  it("runs at most `concurrency` files at once", async () => {
    const h = harness({ concurrency: 2 });
    const added = h.upload.add([fileOf("a", 1), fileOf("b", 1), fileOf("c", 1)]);
    await settle();
    expect(added.map((i) => i.phase)).toEqual(["uploading", "uploading", "queued"]);
    await h.answer(1, 200, [1]);
    await settle();
    expect(added[2]!.phase).toBe("uploading");
    await h.answer(0, 200, [1]);
    await h.answer(2, 200, [1]);
    await h.upload.whenIdle();
    expect(h.upload.totals.value).toMatchObject({ done: 3, percent: 100 });
    h.upload.dismiss(added[0]!.id);
    expect(h.upload.items.value.map((i) => i.file.name)).toEqual(["b", "c"]);
  });

  it("refuses an empty file locally without asking the server", async () => {
    const h = harness();
    const [empty, full] = h.upload.add([fileOf("empty.txt", 0), fileOf("full.txt", 5)]);
    await settle();
    expect(empty!.phase).toBe("error");
    expect(empty!.error).toMatch(/empty/);
    expect(h.calls.some((c) => c.includes("empty.txt"))).toBe(false);
    expect(full!.phase).toBe("uploading");
  });

  it("retries a dropped connection and a 5xx by itself with the same URL, then verifies", async () => {
    const h = harness({ retryDelays: [100, 200] });
    const [item] = h.upload.add([fileOf("flaky.bin", 10)]);
    await settle();
    h.puts[0]!.answer.reject(new TransportError("network", "network error"));
    await settle();
    await h.answer(1, 503, [], "<Error><Code>SlowDown</Code></Error>");
    await h.answer(2, 200, [10]);
    await h.upload.whenIdle();
    expect(item).toMatchObject({ phase: "done", error: null });
    expect(h.waits).toEqual([100, 200]);
    expect(h.puts.map((p) => p.request.url)).toEqual(Array(3).fill(h.puts[0]!.request.url));
    expect(h.calls.filter((c) => !c.startsWith("create"))).toEqual(["complete f1"]);
  });

  it("offers the uploads its ResumeStore kept, by fingerprint; discarding one aborts it and forgets it", async () => {
    const store = memoryResumeStore();
    const film = new File([new Uint8Array(40)], "film.bin", { lastModified: 1_700_000_000_000 });
    const record = {
      id: "f9",
      name: "film.bin",
      size: 40,
      lastModified: 1_700_000_000_000,
      partSize: 16,
      partCount: 3,
      firstPartChecksum: "abc=",
      partsDone: [1],
    };
    await store.set(fileFingerprint(film), record);
    const h = harness({ resumeStore: store });
    await h.upload.loadInterrupted();
    expect(h.upload.interrupted.value).toEqual([record]);
    await h.upload.discardInterrupted(h.upload.interrupted.value[0]!);
    expect(h.upload.interrupted.value).toEqual([]);
    expect(await store.list()).toEqual([]);
    expect(h.calls).toEqual(["abort f9"]);
  });

  it("refuses a file over the server's maximum locally, naming that maximum", async () => {
    const h = harness({ limits: { ...LIMITS, maxFileBytes: 1024 } });
    const [item] = h.upload.add([fileOf("big.bin", 2048)]);
    await settle();
    expect(item!.phase).toBe("error");
    expect(item!.error).toBe("This file is 2 KB; files can be at most 1 KB here.");
    expect(h.calls).toEqual([]);
  });
});
