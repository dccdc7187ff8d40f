/**
 * The engine against the real API process and its real local-s3 (which verifies every signature, length and
 * checksum): the whole path, the profile image, cancelling, refusals before anything is sent. Retries are in
 * plans/single-put.test.ts and the multipart tests.
 */
import { createHash } from "node:crypto";
import type { TRPCClient } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "../test/api-server.ts";
import type { AppRouter } from "../test/app-router.ts";
import { patterned } from "../test/parts.ts";
import { isReleased, recordedFilesEndpoint, scriptedRequests } from "../test/single.ts";
import { EmptyFileError } from "./errors.ts";
import { profileImageEndpoint } from "./profile-endpoint.ts";
import type { UploadProgress } from "./session.ts";
import { fetchPut } from "./transport.ts";
import { createUploader } from "./uploader.ts";

let api: TestApi;
let trpc: TRPCClient<AppRouter>;

beforeAll(async () => {
  api = await startApi();
  trpc = await api.signUp();
});
afterAll(async () => {
  await api?.[Symbol.asyncDispose]();
});

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("base64");

describe("createUploader against the real API and local-s3", () => {
  it("hashes, signs, PUTs with progress and verifies; the download is byte-identical", async () => {
    const bytes = patterned(300 * 1024, 1);
    const progress: UploadProgress[] = [];
    const uploader = createUploader({ endpoint: recordedFilesEndpoint(trpc) });
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

  it("an abort mid-PUT rejects with AbortError once the server has released the upload", async () => {
    const controller = new AbortController();
    const { put } = scriptedRequests([
      (request) => {
        controller.abort();
        return fetchPut(request);
      },
    ]);
    const calls: string[] = [];
    const uploader = createUploader({ endpoint: recordedFilesEndpoint(trpc, calls), put });
    const outcome = await uploader
      .upload(new File([patterned(4096, 6)], "cancelled.bin"), { signal: controller.signal })
      .catch((error: unknown) => error);
    expect(outcome).toMatchObject({ name: "AbortError" });
    const fileId = calls.find((c) => c.startsWith("abort"))!.slice("abort ".length);
    expect(calls).toEqual(["create", `abort ${fileId}`]);
    expect(await isReleased(trpc, fileId)).toBe(true);
  });

  it("refuses an empty file without asking the server; the API's own refusals pass through", async () => {
    const calls: string[] = [];
    const uploader = createUploader({ endpoint: recordedFilesEndpoint(trpc, calls) });
    await expect(uploader.upload(new File([], "empty.txt"))).rejects.toBeInstanceOf(EmptyFileError);
    expect(calls).toEqual([]);
    await expect(
      uploader.upload(new File(["x"], "odd.txt"), { contentType: "not a type" }),
    ).rejects.toMatchObject({ data: { code: "BAD_REQUEST" }, message: expect.stringMatching(/contentType/) });
  });
});
