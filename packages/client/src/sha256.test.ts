import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Sha256, toBase64, toHex } from "./sha256.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("Sha256", () => {
  // Vectors from NIST FIPS 180-2 Appendix B / the NIST CAVP SHA-256 examples.
  it("hashes the empty string", () => {
    expect(toHex(new Sha256().digest())).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
  });

  it('hashes "abc"', () => {
    expect(toHex(new Sha256().update(utf8("abc")).digest())).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });

  it("hashes the two-block NIST message", () => {
    const msg = utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq");
    expect(toHex(new Sha256().update(msg).digest())).toBe(
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    );
  });

  it("matches node:crypto on 1 MiB fed in uneven chunks", () => {
    const data = new Uint8Array(1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >>> 8)) & 0xff;
    const hash = new Sha256();
    // Chunk sizes that straddle block boundaries in every way: 1, 63, 64, 65 and a large odd one.
    const sizes = [1, 63, 64, 65, 100_003];
    let offset = 0;
    for (let i = 0; offset < data.length; i++) {
      const size = sizes[i % sizes.length]!;
      hash.update(data.subarray(offset, offset + size));
      offset += size;
    }
    const expected = createHash("sha256").update(data).digest();
    expect(toBase64(hash.digest())).toBe(expected.toString("base64"));
  });

  it("pads correctly around the 56-byte boundary", () => {
    for (const length of [55, 56, 57, 63, 64, 119, 120]) {
      const data = new Uint8Array(length).fill(0x61);
      const expected = createHash("sha256").update(data).digest("hex");
      expect(toHex(new Sha256().update(data).digest()), `length ${length}`).toBe(expected);
    }
  });

  it("refuses to be reused after digest", () => {
    const hash = new Sha256();
    hash.digest();
    expect(() => hash.update(utf8("x"))).toThrow(/after digest/);
    expect(() => hash.digest()).toThrow(/twice/);
  });
});
