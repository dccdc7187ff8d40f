import type { UploadEndpoint } from "./endpoints.ts";
import { abortError, EmptyFileError } from "./errors.ts";
import { type Hasher, hashBlob } from "./hash-blob.ts";
import { sendSinglePut } from "./plans/single-put.ts";
import { DEFAULT_RETRY_DELAYS, type Sleep, sleep } from "./retry.ts";
import { type UploadProgress, UploadSession } from "./session.ts";
import { fetchPut, type PutTransport } from "./transport.ts";

export interface UploaderOptions<R> {
  /** The server side: `filesEndpoint(api)`, `profileImageEndpoint(api)` or your own. */
  endpoint: UploadEndpoint<R>;
  /** Sends one PUT; default `fetchPut`. Browsers pass `xhrPut` for upload progress. */
  put?: PutTransport;
  /** Computes the SHA-256 signed into the URL; default `hashBlob` (incremental, flat memory). */
  hash?: Hasher;
  /** Waits between attempts of a PUT that failed in a way a retry can fix; `[]` disables retries. */
  retryDelays?: readonly number[];
  /** Injectable for tests. */
  sleep?: Sleep;
}

export interface UploadOptions {
  /** The name the server records; default the File's own name. */
  name?: string;
  /** Default the Blob's type, or `application/octet-stream`. */
  contentType?: string;
  /** Cancels the upload; the server's reservation is released before `upload()` settles. */
  signal?: AbortSignal;
  onProgress?: (progress: UploadProgress) => void;
}

export interface Uploader<R> {
  /**
   * Uploads one file: hash → announce (sign) → PUT with progress → retry → verify. Resolves with the server's
   * verdict; rejects with an `UploadFailure` (message ready for a user), the endpoint's own API error, or an
   * `AbortError`. It settles only once everything it asked of the server has been answered.
   */
  upload(file: Blob, options?: UploadOptions): Promise<R>;
}

/**
 * An upload engine bound to one endpoint and one set of transports.
 *
 * @example
 * const uploader = createUploader({ endpoint: filesEndpoint(api) });
 * const file = await uploader.upload(blob, { name: "report.pdf", onProgress: (p) => console.log(p.loaded) });
 */
export function createUploader<R>(options: UploaderOptions<R>): Uploader<R> {
  const tools = {
    endpoint: options.endpoint,
    put: options.put ?? fetchPut,
    hash: options.hash ?? hashBlob,
    sleep: options.sleep ?? sleep,
    retryDelays: options.retryDelays ?? DEFAULT_RETRY_DELAYS,
    checksums: new WeakMap<Blob, string>(),
  };
  return {
    async upload(file, uploadOptions = {}) {
      const signal = uploadOptions.signal ?? new AbortController().signal;
      if (signal.aborted) throw abortError();
      if (file.size === 0) throw new EmptyFileError();
      const facts = {
        name: uploadOptions.name ?? (file as Partial<File>).name ?? "upload",
        contentType: uploadOptions.contentType ?? (file.type || "application/octet-stream"),
        size: file.size,
      };
      const session = new UploadSession(file, facts, tools, signal, uploadOptions.onProgress);
      try {
        return await sendSinglePut(session);
      } catch (error) {
        session.releaseHeld();
        throw signal.aborted ? abortError() : error;
      } finally {
        await session.settle();
      }
    },
  };
}
