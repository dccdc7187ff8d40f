import { abortError } from "./errors.ts";
import { Sha256, toBase64 } from "./sha256.ts";

/**
 * Computes the base64 SHA-256 of a blob, reporting hashed bytes. The default is `hashBlob`; the SPA passes one
 * that runs it in a Web Worker.
 */
export type Hasher = (
  blob: Blob,
  onProgress: (hashed: number) => void,
  signal: AbortSignal,
) => Promise<string>;

/** Bytes read per step: large enough to be fast, small enough that memory stays flat for any file size. */
export const HASH_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Base64 SHA-256 of a blob, read one slice at a time so a 5 GiB file never sits in memory. Reports the
 * number of bytes hashed after each slice and stops with an AbortError when the signal fires.
 */
export async function hashBlob(
  blob: Blob,
  onProgress: (hashed: number) => void = () => {},
  signal?: AbortSignal,
  chunkBytes = HASH_CHUNK_BYTES,
): Promise<string> {
  const hash = new Sha256();
  for (let offset = 0; offset < blob.size; offset += chunkBytes) {
    if (signal?.aborted) throw abortError();
    const chunk = new Uint8Array(await blob.slice(offset, offset + chunkBytes).arrayBuffer());
    hash.update(chunk);
    onProgress(Math.min(offset + chunkBytes, blob.size));
  }
  if (signal?.aborted) throw abortError();
  return toBase64(hash.digest());
}

/** Blobs up to this size may be hashed in one Web Crypto call: memory then holds one part, never the file. */
export const ONE_SHOT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * The default hasher of multipart parts: Web Crypto's native SHA-256 in one call (off the page's thread in
 * browsers, several times faster than the incremental TypeScript hash), for blobs up to `ONE_SHOT_MAX_BYTES`;
 * larger blobs, or runtimes without `crypto.subtle`, go through `hashBlob`.
 */
export const digestBlob: Hasher = async (blob, onProgress, signal) => {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle || blob.size > ONE_SHOT_MAX_BYTES) return hashBlob(blob, onProgress, signal);
  if (signal.aborted) throw abortError();
  const digest = await subtle.digest("SHA-256", await blob.arrayBuffer());
  if (signal.aborted) throw abortError();
  onProgress(blob.size);
  return toBase64(new Uint8Array(digest));
};
