import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { digestBlob, hashBlob } from "./hash-blob.ts";

describe("hashBlob", () => {
  it("hashes a blob slice by slice, reporting progress up to its size", async () => {
    const bytes = new Uint8Array(10_000).map((_, i) => i % 251);
    const progress: number[] = [];
    const checksum = await hashBlob(new Blob([bytes]), (n) => progress.push(n), undefined, 4096);
    expect(checksum).toBe(createHash("sha256").update(bytes).digest("base64"));
    expect(progress).toEqual([4096, 8192, 10_000]);
  });

  it("hashes an empty blob", async () => {
    expect(await hashBlob(new Blob([]))).toBe("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
  });

  it("stops with an AbortError when cancelled", async () => {
    const controller = new AbortController();
    const run = hashBlob(
      new Blob([new Uint8Array(10_000)]),
      () => controller.abort(),
      controller.signal,
      1024,
    );
    await expect(run).rejects.toMatchObject({ name: "AbortError" });
  });

  it("digestBlob gives the same checksum through Web Crypto", async () => {
    const bytes = new Uint8Array(100_000).map((_, i) => i % 253);
    const progress: number[] = [];
    const checksum = await digestBlob(
      new Blob([bytes]),
      (n) => progress.push(n),
      new AbortController().signal,
    );
    expect(checksum).toBe(createHash("sha256").update(bytes).digest("base64"));
    expect(progress).toEqual([100_000]);
  });
});
