/**
 * The multipart plan against the real API process and its real local-s3 (R2's part rules, per-part SHA-256).
 * Faults are injected only at the transport seam, around the real `fetchPut`.
 */
import type { TRPCClient } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApi, type TestApi } from "../test/api-server.ts";
import type { AppRouter } from "../test/app-router.ts";
import { downloadedSha, MiB, patterned, scripted, sha } from "../test/parts.ts";
import { isAbortError, PartRefusal, ResumeMismatch, TransportError } from "./errors.ts";
import { filesEndpoint, trpcFilesApi } from "./files-endpoint.ts";
import { digestBlob, type Hasher } from "./hash-blob.ts";
import type { ResumeRecord } from "./resume-store.ts";
import { fetchPut } from "./transport.ts";
import { createUploader } from "./uploader.ts";

// Parts are 16 MiB: a 40 MiB file is parts of 16, 16 and 8 MiB.
const SIZE = 40 * MiB;

let api: TestApi;
let trpc: TRPCClient<AppRouter>;

beforeAll(async () => {
  api = await startApi({ MULTIPART_THRESHOLD_BYTES: String(6 * MiB), UPLOAD_URL_TTL: "2" });
  trpc = await api.signUp();
}, 120_000);
afterAll(async () => {
  await api?.[Symbol.asyncDispose]();
});

const files = () => filesEndpoint(trpcFilesApi(trpc));

/**
 * Part numbers sent, each once. URLs live 2 s here (for the expiry test), so on a loaded machine a part may be
 * refused as expired and sent again with a fresh URL: that is the engine working, not a part sent twice.
 */
const distinct = (sent: number[]) => [...new Set(sent)].sort((a, b) => a - b);

const downloaded = (fileId: string) => downloadedSha(trpc, fileId);

describe("multipart uploads through @signet/client", () => {
  it("sends the parts a few at a time, progress never goes back, and the download is byte-identical", async () => {
    const bytes = patterned(SIZE, 1);
    const { put, sent } = scripted();
    const journal: (ResumeRecord | null)[] = [];
    const loaded: number[] = [];
    const uploader = createUploader({ endpoint: files(), put, retryDelays: [10] });
    const file = await uploader.upload(new File([bytes], "film.bin"), {
      onProgress: (p) => loaded.push(p.loaded),
      journal: (record) => journal.push(record),
    });
    expect(file).toMatchObject({ status: "ready", size: SIZE });
    expect(distinct(sent)).toEqual([1, 2, 3]);
    expect(loaded.every((value, i) => i === 0 || value >= loaded[i - 1]!)).toBe(true);
    expect(loaded.at(-1)).toBe(SIZE);
    expect(journal.at(0)).toMatchObject({ name: "film.bin", size: SIZE, partSize: 16 * MiB, partCount: 3 });
    expect(journal.at(-1)).toBeNull();
    expect(await downloaded(file.id)).toBe(sha(bytes));
  }, 120_000);

  it("hashes the first part while announcing, and again only when the plan's part size is not the usual one", async () => {
    const bytes = patterned(SIZE, 7);
    const hashedSizes = (usual: number | undefined) => {
      const sizes: number[] = [];
      const partHash: Hasher = (blob, onProgress, signal) => {
        sizes.push(blob.size);
        return digestBlob(blob, onProgress, signal);
      };
      const endpoint = filesEndpoint({
        ...trpcFilesApi(trpc),
        limits: async () => ({ ...(await trpc.limits.query()), multipartPartSize: usual }),
      });
      return { sizes, uploader: createUploader({ endpoint, partHash, retryDelays: [10] }) };
    };
    const right = hashedSizes(16 * MiB);
    const first = await right.uploader.upload(new File([bytes], "usual.bin"));
    expect(right.sizes).toEqual([16 * MiB, 16 * MiB, 8 * MiB]);
    expect(await downloaded(first.id)).toBe(sha(bytes));
    // A guess the plan contradicts: that checksum is dropped and part 1 hashed at the planned size.
    const wrong = hashedSizes(10 * MiB);
    const second = await wrong.uploader.upload(new File([bytes], "unusual.bin"));
    expect(wrong.sizes).toEqual([10 * MiB, 16 * MiB, 16 * MiB, 8 * MiB]);
    expect(await downloaded(second.id)).toBe(sha(bytes));
  }, 120_000);

  it("pauses, then resumes from the server's list: only the missing parts are sent", async () => {
    const bytes = patterned(SIZE, 2);
    const pause = new AbortController();
    let record: ResumeRecord | null = null;
    const first = scripted();
    const uploader = createUploader({
      endpoint: files(),
      put: first.put,
      partConcurrency: 1,
      retryDelays: [10],
    });
    const blob = new File([bytes], "paused.bin", { lastModified: 1_700_000_000_000 });
    const paused = uploader.upload(blob, {
      pause: pause.signal,
      journal: (r) => {
        record = r;
        if (r && r.partsDone.length === 1) pause.abort();
      },
    });
    await expect(paused).rejects.toSatisfy(isAbortError);
    expect(record).toMatchObject({ partsDone: [1] });
    const kept = record as unknown as ResumeRecord;
    expect((await trpc.files.listParts.query({ fileId: kept.id })).parts.map((p) => p.partNumber)).toEqual([
      1,
    ]);

    // Another file of the same size and name is refused before anything is sent.
    const other = scripted();
    const stranger = new File([patterned(SIZE, 3)], "paused.bin", { lastModified: 1_700_000_000_000 });
    await expect(
      createUploader({ endpoint: files(), put: other.put }).upload(stranger, { resume: kept }),
    ).rejects.toBeInstanceOf(ResumeMismatch);
    expect(other.sent).toEqual([]);

    const second = scripted();
    const resumed = await createUploader({ endpoint: files(), put: second.put }).upload(blob, {
      resume: kept,
    });
    expect(distinct(second.sent)).toEqual([2, 3]);
    expect(await downloaded(resumed.id)).toBe(sha(bytes));
  }, 120_000);

  it("retries a part after a network error, signs an expired part URL again", async () => {
    const bytes = patterned(SIZE, 4);
    const waits: number[] = [];
    const { put, sent } = scripted([
      async () => {
        throw new TransportError("network", "connection reset");
      },
      // Held past the URL's 2 s lifetime: the storage answers 403 expired, the engine signs it again.
      async (request) => {
        await new Promise((resolve) => setTimeout(resolve, 3500));
        return fetchPut(request);
      },
    ]);
    const uploader = createUploader({
      endpoint: files(),
      put,
      partConcurrency: 1,
      retryDelays: [5],
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    const file = await uploader.upload(new File([bytes], "flaky.bin"));
    expect(waits).toEqual([5]);
    expect(sent.slice(0, 3)).toEqual([1, 1, 1]);
    expect(distinct(sent)).toEqual([1, 2, 3]);
    expect(await downloaded(file.id)).toBe(sha(bytes));
  }, 120_000);

  it("a part the storage refuses ends the upload naming the part; the upload stays resumable", async () => {
    const bytes = patterned(SIZE, 5);
    let record: ResumeRecord | null = null;
    const { put } = scripted([
      fetchPut,
      // Part 2 with other bytes of the same length: the storage's checksum check refuses it.
      (request) => fetchPut({ ...request, body: new Blob([new Uint8Array(request.body.size)]) }),
    ]);
    // One quick retry for a loopback hiccup; the refusal itself is never retried.
    const uploader = createUploader({ endpoint: files(), put, partConcurrency: 1, retryDelays: [10] });
    const blob = new File([bytes], "refused.bin");
    const failure = await uploader.upload(blob, { journal: (r) => (record = r) }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PartRefusal);
    expect((failure as PartRefusal).partNumber).toBe(2);
    expect((failure as PartRefusal).code).toBe("BadDigest");
    expect((failure as Error).message).toMatch(/^Part 2: The bytes that arrived do not match/);
    const again = scripted();
    const kept = record as unknown as ResumeRecord;
    const file = await createUploader({ endpoint: files(), put: again.put }).upload(blob, { resume: kept });
    expect(distinct(again.sent)).toEqual([2, 3]);
    expect(await downloaded(file.id)).toBe(sha(bytes));
  }, 120_000);
});
