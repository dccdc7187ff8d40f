import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type BodyHash, createBodyHash, OFFLOAD_FROM } from "./body-hash.ts";
import { bytes } from "./testing.ts";

const expected = (algorithm: string, data: Uint8Array) => createHash(algorithm).update(data).digest("hex");
const hex = (digest: Uint8Array | undefined) => Buffer.from(digest ?? []).toString("hex");

/** Feeds `data` in pieces of the given sizes (cycled), waiting whenever the hash asks to. */
async function feed(hash: BodyHash, data: Uint8Array, sizes: number[]): Promise<void> {
  for (let at = 0, i = 0; at < data.byteLength; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    await hash.update(data.subarray(at, at + size));
    at += size;
  }
}

describe("createBodyHash", () => {
  const body = bytes(OFFLOAD_FROM + 3 * (1 << 20) + 12_345, 7);

  it.each([
    ["socket-sized chunks", [65_536]],
    ["odd sizes that straddle every batch edge, and empty chunks", [1, 0, 999_999, 70_001, 0, 3]],
    ["chunks larger than a batch", [5 << 20, 1_500_000]],
  ])("gives node:crypto's digests for a body hashed on the worker: %s", async (_, sizes) => {
    const hash = createBodyHash(["md5", "sha256", "sha1"], body.byteLength);
    await feed(hash, body, sizes);
    const [md5, sha256, sha1] = await hash.digest();
    expect([hex(md5), hex(sha256), hex(sha1)]).toEqual([
      expected("md5", body),
      expected("sha256", body),
      expected("sha1", body),
    ]);
  });

  it("gives the same digests in place for small or unsized bodies", async () => {
    const small = body.subarray(0, 100_000);
    for (const size of [small.byteLength, undefined]) {
      const hash = createBodyHash(["md5", "sha256"], size);
      await feed(hash, small, [4096]);
      expect((await hash.digest()).map(hex)).toEqual([expected("md5", small), expected("sha256", small)]);
    }
  });

  it("keeps concurrent bodies apart, including one abandoned halfway", async () => {
    const other = bytes(body.byteLength, 99);
    const a = createBodyHash(["md5"], body.byteLength);
    const b = createBodyHash(["md5"], other.byteLength);
    const abandoned = createBodyHash(["md5"], body.byteLength);
    await Promise.all([
      feed(a, body, [300_000]),
      feed(b, other, [65_536]),
      feed(abandoned, body.subarray(0, 3 << 20), [1 << 20]),
    ]);
    abandoned.abort();
    const [[md5a], [md5b]] = await Promise.all([a.digest(), b.digest()]);
    expect(hex(md5a)).toBe(expected("md5", body));
    expect(hex(md5b)).toBe(expected("md5", other));
    // A later body still gets the worker, with nothing left over from the abandoned one.
    const after = createBodyHash(["md5"], body.byteLength);
    await feed(after, body, [1 << 20]);
    expect(hex((await after.digest())[0])).toBe(expected("md5", body));
  });
});
