/**
 * Part URLs signed ahead in batches, against the real API process and its real local-s3 (the margin and the
 * batching with injected time: plans/multipart/part-urls.test.ts).
 */
import type { TRPCClient } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "../test/api-server.ts";
import type { AppRouter } from "../test/app-router.ts";
import { downloadedSha, MiB, patterned, scripted, sha } from "../test/parts.ts";
import { filesEndpoint, trpcFilesApi } from "./files-endpoint.ts";
import { digestBlob, type Hasher } from "./hash-blob.ts";
import { createUploader } from "./uploader.ts";

describe("signing part URLs ahead, with URLs that live the default 10 minutes", () => {
  let server: TestApi;
  let client: TRPCClient<AppRouter>;
  beforeAll(async () => {
    server = await startApi({ MULTIPART_THRESHOLD_BYTES: String(6 * MiB) });
    client = await server.signUp();
  }, 120_000);
  afterAll(async () => {
    await server?.[Symbol.asyncDispose]();
  });

  it("signs the parts hashed while a signing request was out in one batch, before lanes ask for them", async () => {
    const bytes = patterned(80 * MiB, 6);
    // The first signing request waits (around the real API call) until all five parts are hashed, so whatever
    // the machine's speed, parts 2..5 are queued meanwhile: two lanes alone would have asked for 2 and 3 only.
    let hashedParts = 0;
    let allHashed: () => void = () => {};
    const hashedAll = new Promise<void>((resolve) => {
      allHashed = resolve;
    });
    const partHash: Hasher = async (blob, onProgress, signal) => {
      const checksum = await digestBlob(blob, onProgress, signal);
      if (++hashedParts === 5) allHashed();
      return checksum;
    };
    const batches: number[][] = [];
    const endpoint = filesEndpoint({
      ...trpcFilesApi(client),
      signParts: async (input) => {
        batches.push(input.parts.map((p) => p.partNumber));
        if (batches.length === 1) await hashedAll;
        return client.files.signParts.mutate(input);
      },
    });
    const { put, sent } = scripted();
    const uploader = createUploader({ endpoint, put, partHash, partConcurrency: 2, retryDelays: [10] });
    const file = await uploader.upload(new File([bytes], "ahead.bin"));
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
    expect(sent.toSorted((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    expect(await downloadedSha(client, file.id)).toBe(sha(bytes));
  }, 120_000);
});
