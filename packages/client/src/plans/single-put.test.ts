/**
 * The single-PUT plan's retries and refusals against the real API process and its real local-s3 (which verifies
 * every signature, length and checksum). Faults are injected only at the transport seam, around the real `fetchPut`.
 */
import { createHash } from "node:crypto";
import type { TRPCClient } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "../../test/api-server.ts";
import type { AppRouter } from "../../test/app-router.ts";
import { patterned } from "../../test/parts.ts";
import { isReleased, noWait, recordedFilesEndpoint, scriptedRequests } from "../../test/single.ts";
import { StorageRefusal, TransportError } from "../errors.ts";
import { fetchPut } from "../transport.ts";
import { createUploader } from "../uploader.ts";

// Short upload URLs, so one test can let a URL expire for real; every other PUT follows its signing at once.
const UPLOAD_URL_TTL = 2;

let api: TestApi;
let trpc: TRPCClient<AppRouter>;

beforeAll(async () => {
  api = await startApi({ UPLOAD_URL_TTL: String(UPLOAD_URL_TTL) });
  trpc = await api.signUp();
});
afterAll(async () => {
  await api?.[Symbol.asyncDispose]();
});

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("base64");

describe("a single PUT, retried as the retry policy says", () => {
  it("retries a dropped connection and a 503 with backoff, then succeeds", async () => {
    const bytes = patterned(64 * 1024, 2);
    const { put, sent } = scriptedRequests([
      async () => {
        throw new TransportError("network", "connection reset");
      },
      async () => ({ status: 503, body: "<Error><Code>SlowDown</Code></Error>", etag: null }),
    ]);
    const waits: number[] = [];
    const calls: string[] = [];
    const uploader = createUploader({
      endpoint: recordedFilesEndpoint(trpc, calls),
      put,
      retryDelays: [10, 20, 30],
      sleep: noWait(waits),
    });
    const file = await uploader.upload(new File([bytes], "flaky.bin"));
    expect(file.status).toBe("ready");
    expect(sent).toHaveLength(3);
    expect(waits).toEqual([10, 20]);
    // One reservation throughout: the same signed URL was simply sent again.
    expect(new Set(sent.map((r) => r.url)).size).toBe(1);
    expect(calls.filter((c) => c === "create")).toHaveLength(1);
  });

  it("a retry refused with 412 after a lost response means the bytes arrived: the server verifies them", async () => {
    const bytes = patterned(32 * 1024, 3);
    const { put, sent } = scriptedRequests([
      async (request) => {
        await fetchPut(request);
        throw new TransportError("network", "response lost");
      },
    ]);
    const uploader = createUploader({
      endpoint: recordedFilesEndpoint(trpc),
      put,
      retryDelays: [1],
      sleep: noWait([]),
    });
    const file = await uploader.upload(new File([bytes], "landed.bin"));
    expect(file).toMatchObject({ status: "ready", checksumSha256: sha256(bytes) });
    expect(sent).toHaveLength(2);
  });

  it("an expired URL is released and signed again", async () => {
    const bytes = patterned(16 * 1024, 4);
    const { put, sent } = scriptedRequests([
      async (request) => {
        // Let the real URL run out (expiry is strict: one second past it is enough), then send it.
        await new Promise((resolve) => setTimeout(resolve, (UPLOAD_URL_TTL + 1.5) * 1000));
        return fetchPut(request);
      },
    ]);
    const calls: string[] = [];
    const uploader = createUploader({
      endpoint: recordedFilesEndpoint(trpc, calls),
      put,
      retryDelays: [1],
      sleep: noWait([]),
    });
    const file = await uploader.upload(new File([bytes], "late.bin"));
    expect(file.status).toBe("ready");
    expect(sent).toHaveLength(2);
    expect(sent[0]!.url).not.toBe(sent[1]!.url);
    const first = calls.find((c) => c.startsWith("abort"))!.slice("abort ".length);
    expect(calls).toEqual(["create", `abort ${first}`, "create", `complete ${file.id}`]);
    expect(await isReleased(trpc, first)).toBe(true);
  }, 60_000);

  it("bytes the storage refuses are not retried, and the reservation is released before upload() settles", async () => {
    const bytes = patterned(8 * 1024, 5);
    const { put, sent } = scriptedRequests([
      (request) => fetchPut({ ...request, body: new Blob([patterned(bytes.length, 99)]) }),
    ]);
    const calls: string[] = [];
    const uploader = createUploader({
      endpoint: recordedFilesEndpoint(trpc, calls),
      put,
      retryDelays: [1, 1],
      sleep: noWait([]),
    });
    const failure = await uploader.upload(new File([bytes], "tampered.bin")).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StorageRefusal);
    expect(failure).toMatchObject({ status: 400, code: "BadDigest" });
    expect((failure as Error).message).toMatch(/do not match the file's checksum/);
    expect(sent).toHaveLength(1);
    const fileId = calls.find((c) => c.startsWith("abort"))!.slice("abort ".length);
    expect(await isReleased(trpc, fileId)).toBe(true);
  });
});
