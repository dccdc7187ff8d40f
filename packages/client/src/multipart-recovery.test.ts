/**
 * How the multipart plan recovers, against the real API process and its real local-s3: a stalled part aborted
 * and sent again (time injected), a storage asking to slow down, and a resume found through a `ResumeStore`.
 * Faults are injected only at the transport seam, around the real `fetchPut`.
 */
import type { TRPCClient } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "../test/api-server.ts";
import type { AppRouter } from "../test/app-router.ts";
import { manualTimer } from "../test/manual-timer.ts";
import { downloadedSha, MiB, patterned, scripted, sha } from "../test/parts.ts";
import { abortError, isAbortError, TransportError } from "./errors.ts";
import { filesEndpoint, trpcFilesApi } from "./files-endpoint.ts";
import { fileFingerprint, memoryResumeStore, type ResumeRecord } from "./resume-store.ts";
import { createRetryPolicy, type RetryPolicy } from "./retry-policy.ts";
import { fetchPut } from "./transport.ts";
import { createUploader } from "./uploader.ts";

// Parts are 16 MiB: a 20 MiB file is parts of 16 and 4 MiB.
const SIZE = 20 * MiB;

let api: TestApi;
let trpc: TRPCClient<AppRouter>;

const downloaded = (fileId: string) => downloadedSha(trpc, fileId);

beforeAll(async () => {
  api = await startApi({ MULTIPART_THRESHOLD_BYTES: String(6 * MiB) });
  trpc = await api.signUp();
}, 120_000);
afterAll(async () => {
  await api?.[Symbol.asyncDispose]();
});

/** A policy that records what it was asked to decide and the waits it chose, deciding as `policy` does. */
function watched(policy: RetryPolicy) {
  const failures: unknown[] = [];
  const waits: number[] = [];
  const wrapped: RetryPolicy = {
    decide(failure, history) {
      failures.push(failure);
      const decision = policy.decide(failure, history);
      if (decision) waits.push(decision.delayMs);
      return decision;
    },
  };
  return { policy: wrapped, failures, waits };
}

const noSleep = async () => {};

describe("the multipart plan recovering", () => {
  it("aborts a part whose transfer stops making progress and sends it again", async () => {
    const bytes = patterned(SIZE, 11);
    const time = manualTimer();
    const stillMoving: boolean[] = [];
    const { put, sent } = scripted([
      // Part 1 sends a little, goes on reporting, then hangs: only the stall detector ends it.
      async (request) => {
        request.onProgress?.(64 * 1024, request.body.size);
        time.advance(9_999);
        request.onProgress?.(128 * 1024, request.body.size);
        time.advance(9_999);
        stillMoving.push(!request.signal?.aborted);
        time.advance(1);
        if (request.signal?.aborted) throw abortError();
        return new Promise(() => {});
      },
    ]);
    const retries = watched(createRetryPolicy({ delays: [25] }));
    const uploader = createUploader({
      endpoint: filesEndpoint(trpcFilesApi(trpc)),
      put: Object.assign(put, { progressEvents: true }),
      stallTimeoutMs: 10_000,
      timer: time.timer,
      retryPolicy: retries.policy,
      sleep: noSleep,
      partConcurrency: 1,
    });
    const file = await uploader.upload(new File([bytes], "stalled.bin"));
    expect(stillMoving).toEqual([true]);
    expect(retries.failures).toEqual([expect.any(TransportError)]);
    expect(retries.failures[0]).toMatchObject({ kind: "stall" });
    expect(retries.waits).toEqual([25]);
    expect(sent).toEqual([1, 1, 2]);
    expect(await downloaded(file.id)).toBe(sha(bytes));
  }, 120_000);

  it("waits as long as the storage's Retry-After asks before sending a part again", async () => {
    const bytes = patterned(SIZE, 12);
    const { put, sent } = scripted([
      fetchPut,
      async () => ({
        status: 429,
        body: "<Error><Code>SlowDown</Code></Error>",
        etag: null,
        retryAfter: "7",
      }),
    ]);
    const waits: number[] = [];
    const uploader = createUploader({
      endpoint: filesEndpoint(trpcFilesApi(trpc)),
      put,
      retryDelays: [25],
      sleep: async (ms) => void waits.push(ms),
      partConcurrency: 1,
    });
    const file = await uploader.upload(new File([bytes], "slow-down.bin"));
    expect(waits).toEqual([7000]);
    expect(sent).toEqual([1, 2, 2]);
    expect(await downloaded(file.id)).toBe(sha(bytes));
  }, 120_000);

  it("resumes through a ResumeStore: the record is found by the file's fingerprint, only missing parts go", async () => {
    const bytes = patterned(SIZE, 13);
    const store = memoryResumeStore();
    const picked = () => new File([bytes], "kept.bin", { lastModified: 1_700_000_000_000 });
    const keep = (file: File) => (record: ResumeRecord | null) =>
      void (record ? store.set(fileFingerprint(file), record) : store.delete(fileFingerprint(file)));
    const pause = new AbortController();
    const first = picked();
    const paused = createUploader({
      endpoint: filesEndpoint(trpcFilesApi(trpc)),
      partConcurrency: 1,
    }).upload(first, {
      pause: pause.signal,
      journal: (record) => {
        keep(first)(record);
        if (record?.partsDone.length === 1) pause.abort();
      },
    });
    await expect(paused).rejects.toSatisfy(isAbortError);

    // Another session picks the same file again: its fingerprint finds the record.
    const again = picked();
    const record = await store.get(fileFingerprint(again));
    expect(record).toMatchObject({ name: "kept.bin", size: SIZE, partsDone: [1] });
    expect(await store.get(fileFingerprint(new File([bytes], "other.bin")))).toBeUndefined();
    const { put, sent } = scripted();
    const file = await createUploader({ endpoint: filesEndpoint(trpcFilesApi(trpc)), put }).upload(again, {
      resume: record!,
      journal: keep(again),
    });
    expect(sent).toEqual([2]);
    expect(await store.list()).toEqual([]);
    expect(await downloaded(file.id)).toBe(sha(bytes));
  }, 120_000);
});
