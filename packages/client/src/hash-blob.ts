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
