/**
 * The engine against the real API process and its real local-s3 (which verifies every signature, length and
 * checksum). Faults are injected only at the transport seam, around the real `fetchPut`.
 */
import { createHash } from "node:crypto";
import type { TRPCClient } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "../test/api-server.ts";
import type { AppRouter } from "../test/app-router.ts";
import { EmptyFileError, StorageRefusal, TransportError } from "./errors.ts";
import { filesEndpoint } from "./files-endpoint.ts";
import { profileImageEndpoint } from "./profile-endpoint.ts";
import type { UploadProgress } from "./session.ts";
import { fetchPut, type PutRequest, type PutTransport } from "./transport.ts";
import { createUploader } from "./uploader.ts";

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

/** Bytes no one will mistake for another file: a truncated or shifted copy differs. */
function patterned(size: number, seed: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let x = seed || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("base64");

/** The files procedures through the tRPC client, recording which were called. */
function filesApi(calls: string[] = []) {
  return filesEndpoint({
    createUpload: (input) => {
      calls.push("create");
      return trpc.files.createUpload.mutate(input);
    },
    completeUpload: (input) => {
      calls.push(`complete ${input.fileId}`);
      return trpc.files.completeUpload.mutate(input);
    },
    abortUpload: (input) => {
      calls.push(`abort ${input.fileId}`);
      return trpc.files.abortUpload.mutate(input);
    },
  });
}

/** A transport that runs `script[n]` for the n-th PUT (the real fetchPut once the script is exhausted). */
function scripted(script: ((request: PutRequest) => ReturnType<PutTransport>)[]) {
  const sent: PutRequest[] = [];
  const put: PutTransport = (request) => {
    const step = script[sent.length] ?? fetchPut;
    sent.push(request);
    return step(request);
  };
  return { put, sent };
}

const noWait = (waits: number[]) => async (ms: number) => {
  waits.push(ms);
};

async function isReleased(fileId: string): Promise<boolean> {
  return trpc.files.get.query({ fileId }).then(
    () => false,
    (error: { data?: { code?: string } }) => error.data?.code === "NOT_FOUND",
  );
}

describe("createUploader against the real API and local-s3", () => {
  it("hashes, signs, PUTs with progress and verifies; the download is byte-identical", async () => {
    const bytes = patterned(300 * 1024, 1);
    const progress: UploadProgress[] = [];
    const uploader = createUploader({ endpoint: filesApi() });
    const file = await uploader.upload(
      new File([bytes], "report ü.bin", { type: "application/octet-stream" }),
      {
        onProgress: (p) => progress.push(p),
      },
    );
    expect(file).toMatchObject({ status: "ready", size: bytes.length, originalFilename: "report ü.bin" });
    expect(file.checksumSha256).toBe(sha256(bytes));

    const phases = progress.map((p) => p.phase).filter((phase, i, all) => phase !== all[i - 1]);
    expect(phases).toEqual(["hashing", "signing", "uploading", "verifying"]);
    expect(progress.find((p) => p.phase === "signing")?.hashed).toBe(bytes.length);
    const loaded = progress.map((p) => p.loaded);
    for (let i = 1; i < loaded.length; i++) expect(loaded[i]!).toBeGreaterThanOrEqual(loaded[i - 1]!);
    expect(progress.at(-1)).toMatchObject({ phase: "verifying", loaded: bytes.length, total: bytes.length });

    const { url } = await trpc.files.downloadUrl.query({ fileId: file.id });
    const downloaded = new Uint8Array(await (await fetch(url)).arrayBuffer());
    expect(sha256(downloaded)).toBe(sha256(bytes));
  });

  it("uploads a profile image through the same engine", async () => {
    // A real 1×1 PNG: the server checks its signature and its IEND terminator.
    const png = Uint8Array.from(
      atob(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
      ),
      (c) => c.charCodeAt(0),
    );
    const uploader = createUploader({
      endpoint: profileImageEndpoint({
        createImageUpload: (input) => trpc.profile.createImageUpload.mutate(input),
        completeImageUpload: () => trpc.profile.completeImageUpload.mutate(),
      }),
    });
    const image = await uploader.upload(new File([png], "me.png", { type: "image/png" }));
    expect(image).toMatchObject({ hasImage: true });
    expect((await trpc.profile.get.query()).image.hasImage).toBe(true);
  });

  it("retries a dropped connection and a 503 with backoff, then succeeds", async () => {
    const bytes = patterned(64 * 1024, 2);
    const { put, sent } = scripted([
      async () => {
        throw new TransportError("network", "connection reset");
      },
      async () => ({ status: 503, body: "<Error><Code>SlowDown</Code></Error>", etag: null }),
    ]);
    const waits: number[] = [];
    const calls: string[] = [];
    const uploader = createUploader({
      endpoint: filesApi(calls),
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
    const { put, sent } = scripted([
      async (request) => {
        await fetchPut(request);
        throw new TransportError("network", "response lost");
      },
    ]);
    const uploader = createUploader({ endpoint: filesApi(), put, retryDelays: [1], sleep: noWait([]) });
    const file = await uploader.upload(new File([bytes], "landed.bin"));
    expect(file).toMatchObject({ status: "ready", checksumSha256: sha256(bytes) });
    expect(sent).toHaveLength(2);
  });

  it("an expired URL is released and signed again", async () => {
    const bytes = patterned(16 * 1024, 4);
    const { put, sent } = scripted([
      async (request) => {
        // Let the real URL run out (expiry is strict: one second past it is enough), then send it.
        await new Promise((resolve) => setTimeout(resolve, (UPLOAD_URL_TTL + 1.5) * 1000));
        return fetchPut(request);
      },
    ]);
    const calls: string[] = [];
    const uploader = createUploader({ endpoint: filesApi(calls), put, retryDelays: [1], sleep: noWait([]) });
    const file = await uploader.upload(new File([bytes], "late.bin"));
    expect(file.status).toBe("ready");
    expect(sent).toHaveLength(2);
    expect(sent[0]!.url).not.toBe(sent[1]!.url);
    const first = calls.find((c) => c.startsWith("abort"))!.slice("abort ".length);
    expect(calls).toEqual(["create", `abort ${first}`, "create", `complete ${file.id}`]);
    expect(await isReleased(first)).toBe(true);
  }, 60_000);

  it("bytes the storage refuses are not retried, and the reservation is released before upload() settles", async () => {
    const bytes = patterned(8 * 1024, 5);
    const { put, sent } = scripted([
      (request) => fetchPut({ ...request, body: new Blob([patterned(bytes.length, 99)]) }),
    ]);
    const calls: string[] = [];
    const uploader = createUploader({
      endpoint: filesApi(calls),
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
    expect(await isReleased(fileId)).toBe(true);
  });

  it("an abort mid-PUT rejects with AbortError once the server has released the upload", async () => {
    const controller = new AbortController();
    const { put } = scripted([
      (request) => {
        controller.abort();
        return fetchPut(request);
      },
    ]);
    const calls: string[] = [];
    const uploader = createUploader({ endpoint: filesApi(calls), put });
    const outcome = await uploader
      .upload(new File([patterned(4096, 6)], "cancelled.bin"), { signal: controller.signal })
      .catch((error: unknown) => error);
    expect(outcome).toMatchObject({ name: "AbortError" });
    const fileId = calls.find((c) => c.startsWith("abort"))!.slice("abort ".length);
    expect(calls).toEqual(["create", `abort ${fileId}`]);
    expect(await isReleased(fileId)).toBe(true);
  });

  it("refuses an empty file without asking the server; the API's own refusals pass through", async () => {
    const calls: string[] = [];
    const uploader = createUploader({ endpoint: filesApi(calls) });
    await expect(uploader.upload(new File([], "empty.txt"))).rejects.toBeInstanceOf(EmptyFileError);
    expect(calls).toEqual([]);
    await expect(
      uploader.upload(new File(["x"], "odd.txt"), { contentType: "not a type" }),
    ).rejects.toMatchObject({ data: { code: "BAD_REQUEST" }, message: expect.stringMatching(/contentType/) });
  });
});
