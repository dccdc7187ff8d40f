// The only module that touches node:crypto (besides the worker thread body-hash.ts starts, which runs the same
// hashes off the request thread): Web Crypto has neither MD5 (needed for ETags) nor incremental hashing (needed
// to hash bodies while they stream to disk). Node, Bun and Deno all implement node:crypto.
import { Buffer } from "node:buffer";
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export type HashAlgorithm = "md5" | "sha1" | "sha256";

/** An incremental hash fed chunk by chunk as a body streams through. */
export interface Hasher {
  update(chunk: Uint8Array): void;
  digest(): Uint8Array;
}

/** Starts an incremental hash. */
export function createHasher(algorithm: HashAlgorithm): Hasher {
  const hash = createHash(algorithm);
  return {
    update: (chunk) => {
      hash.update(chunk);
    },
    digest: () => new Uint8Array(hash.digest()),
  };
}

/** One-shot hash of a whole buffer or string. */
export function hash(algorithm: HashAlgorithm, data: Uint8Array | string): Uint8Array {
  return new Uint8Array(createHash(algorithm).update(data).digest());
}

/** HMAC-SHA256, the building block of the SigV4 key derivation. */
export function hmacSha256(key: Uint8Array | string, data: string): Uint8Array {
  return new Uint8Array(createHmac("sha256", key).update(data).digest());
}

/** Constant-time comparison of two strings (signatures), false when lengths differ. */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Cryptographically random bytes. */
export function random(size: number): Uint8Array {
  return new Uint8Array(randomBytes(size));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

/** Strict base64 decoding: undefined unless the text is canonical base64 of some bytes. */
export function fromBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = Buffer.from(text, "base64");
  return bytes.toString("base64") === text ? new Uint8Array(bytes) : undefined;
}
